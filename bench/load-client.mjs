// A small HTTP load generator, run as its own process by bench/portal.mjs so the load does not
// share the server's event loop. Keeps `concurrency` requests in flight on keep-alive sockets
// for `seconds`, then prints one JSON line: requests, errors, requests/s and latency percentiles.
// `{worker}` in the body becomes the connection's number (0..concurrency-1), so a login burst can
// give each connection its own user: one user hammered from one address would (rightly) be
// throttled after a few parallel attempts, and the burst would stop costing bcrypt hashes.
import http from 'node:http'

const [url, seconds, concurrency, method = 'GET', cookie = '', body = ''] = process.argv.slice(2)
const target = new URL(url)
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) })
const latencies = []
let errors = 0
let statuses = {}
const end = Date.now() + Number(seconds) * 1000

function once(worker) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint()
    const headers = { cookie }
    const payload = body.replaceAll('{worker}', String(worker))
    if (method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers['content-length'] = Buffer.byteLength(payload)
      headers.origin = target.origin
    }
    const req = http.request(target, { method, agent, headers }, (res) => {
      res.on('data', () => {})
      res.on('end', () => {
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
        latencies.push(Number(process.hrtime.bigint() - start) / 1e6)
        resolve()
      })
    })
    req.on('error', () => {
      errors += 1
      resolve()
    })
    req.end(method === 'POST' ? payload : undefined)
  })
}

async function worker(index) {
  while (Date.now() < end) await once(index)
}

const started = Date.now()
await Promise.all(Array.from({ length: Number(concurrency) }, (_, i) => worker(i)))
const elapsed = (Date.now() - started) / 1000
latencies.sort((a, b) => a - b)
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    errors,
    statuses,
    rps: latencies.length / elapsed,
    p50: pct(50),
    p99: pct(99),
  })}\n`,
)
agent.destroy()

// `npm run bench:upload`: 16 concurrent uploads of 5 MB to `confi serve` (POST /enviar: session,
// streamed multipart, type check, the store's fsync, one transaction with its log row) against a
// bare Hono route in its own process that streams the same body to a file and fsyncs it, both
// loaded by wrk with a Lua script that builds the multipart body, side by side in one run
// (issue 20). The servers' peak memory (RSS, from /proc) is sampled during the runs.
//
// Knobs: BENCH_SECONDS (10 a run; fewer marks a smoke run), BENCH_RUNS (3 of each, alternating),
// BENCH_CONCURRENCY (16), BENCH_REPORT=0, BENCH_THREADS=1 (CPU per request by thread, minor page
// faults), BENCH_BASE_BIN=<older bin/confi> (before/after; a copy of that tree with schema.sql, not
// bin and dist alone; the build run last in each run tends to look better: swap them to check),
// BENCH_PROFILE=<dir> (confi serve writes a --cpu-prof there; bench/profile-summary.mjs sums it),
// BENCH_SERVE_NODE_OPTIONS (NODE_OPTIONS of this build's confi serve alone: V8 trials), BENCH_BACKENDS. SQLite always; PostgreSQL too under scripts/with-postgres.sh (npm run
// bench:upload:pg), each backend with its own section of the report.
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { resolveConfig } from '../dist/core/config/app-config.js'
import { loadSecretKey } from '../dist/core/tokens.js'
import { initFirm } from '../dist/core/clients/firm.js'
import { addClient } from '../dist/core/clients/clients.js'
import { addUser } from '../dist/core/identity/registration.js'
import { accountant } from '../dist/core/actors.js'
import { inlineHasher } from '../dist/core/identity/passwords.js'
import { createSession } from '../dist/core/identity/sessions.js'
import { BACKEND_NAMES, selectedBackends, smokeNote, updateReport } from './report.mjs'
import { createBenchDatabase } from './postgres.mjs'

const run = promisify(execFile)
const here = fileURLToPath(new URL('.', import.meta.url))
const confiBin = resolve(here, '..', 'bin', 'confi')
const FULL_SECONDS = 10
const SECONDS = Number(process.env.BENCH_SECONDS ?? FULL_SECONDS)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const SMOKE = SECONDS < FULL_SECONDS
const FILE_MB = 5
const TARGET = 0.7
const RSS_LIMIT_MB = 250
const BOUNDARY = '----confibench7d1f'

// The body is built once by wrk (Lua), the same bytes for every request of both servers: a 5 MB
// PDF (its header, then filler) in a multipart form with the fields of "Enviar ao escritório".
function luaScript(path, cookie, clientId) {
  return `
local boundary = "${BOUNDARY}"
local file = "%PDF-1.4\\n" .. string.rep("A", ${FILE_MB} * 1024 * 1024 - 9)
wrk.method = "POST"
wrk.path = "${path}"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.headers["Origin"] = "http://127.0.0.1"
wrk.headers["Cookie"] = "${cookie}"
wrk.body = "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"empresa\\"\\r\\n\\r\\n${clientId}\\r\\n"
  .. "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"categoria\\"\\r\\n\\r\\ncontabil\\r\\n"
  .. "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"arquivos\\"; filename=\\"extrato.pdf\\"\\r\\nContent-Type: application/pdf\\r\\n\\r\\n"
  .. file .. "\\r\\n--" .. boundary .. "--\\r\\n"
${readFileSync(join(here, 'wrk-summary.lua'), 'utf8')}
`
}

async function wrk(url, script) {
  const args = ['-t2', `-c${CONCURRENCY}`, `-d${SECONDS}s`, '--timeout', '30s', '-s', script, url]
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 })
  const line = stdout.split('\n').find((l) => l.startsWith('{"wrk"'))
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`)
  const r = JSON.parse(line).wrk
  const seconds = r.duration_us / 1e6
  return {
    rps: r.requests / seconds,
    mbps: (r.requests * FILE_MB) / seconds,
    p50: r.p50_us / 1000,
    p99: r.p99_us / 1000,
    requests: r.requests,
    errors: r.status + r.connect + r.read + r.write + r.timeout,
  }
}

function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) / 1024 : 0
  } catch {
    return 0
  }
}

// CPU seconds (user + system, every thread) the process has used: per upload, a figure that a
// loaded machine disturbs far less than throughput.
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

// Minor page faults of the process (fresh memory touched: the kernel zeroes a page for each).
function minorFaults(pid) {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[7])
}

// The same, per thread (all are named "node": the event loop is `main`, the others their ids:
// libuv's pool, worker threads, V8's helpers), so a profile can say where the CPU went:
// BENCH_THREADS=1 prints it after each run.
function threadCpu(pid) {
  const byName = {}
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = tid === String(pid) ? 'main' : tid
      const fields = stat.split(') ')[1].split(' ')
      byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100
    } catch {}
  }
  return byName
}

/** Runs `task` while sampling the peak RSS of `pid` every 50 ms; also the CPU it used. */
async function withPeakRss(pid, task) {
  let peak = rssMb(pid)
  const cpuBefore = cpuSeconds(pid)
  const threadsBefore = threadCpu(pid)
  const faultsBefore = minorFaults(pid)
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50)
  try {
    const result = await task()
    if (process.env.BENCH_THREADS) {
      const after = threadCpu(pid)
      const per = Object.entries(after)
        .map(([name, s]) => [name, ((s - (threadsBefore[name] ?? 0)) * 1000) / Math.max(1, result.requests)])
        .filter(([, ms]) => ms >= 0.1)
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
      const faults = (minorFaults(pid) - faultsBefore) / Math.max(1, result.requests)
      console.log(`  pid ${pid} CPU ms per request by thread: ${per.join(', ')}; minor page faults per request ${faults.toFixed(0)}`)
    }
    return { result: { ...result, cpuMs: ((cpuSeconds(pid) - cpuBefore) * 1000) / Math.max(1, result.requests) }, peak: Math.max(peak, rssMb(pid)) }
  } finally {
    clearInterval(timer)
  }
}

function start(args, env, cwd, pattern) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env, NO_COLOR: '1' }, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const url = new Promise((ok, fail) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk
      const match = pattern.exec(out)
      if (match) ok(match[1])
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => (out += chunk))
    child.once('exit', (code) => fail(new Error(`exited ${code}: ${out}`)))
  })
  return {
    pid: child.pid,
    url,
    stop: () => new Promise((ok) => (child.exitCode !== null ? ok() : (child.once('exit', ok), child.kill('SIGTERM')))),
  }
}

async function fill(backend, dir) {
  const pgDatabase = backend === 'postgres' ? await createBenchDatabase(process.env.CONFI_TEST_DATABASE_URL) : null
  // The same configuration path as `confi serve`: DATABASE_URL selects PostgreSQL, CONFI_DB SQLite.
  const env = pgDatabase
    ? { DATABASE_URL: pgDatabase.url, CONFI_DATA_DIR: join(dir, 'data'), CONFI_PG_POOL_SIZE: process.env.CONFI_PG_POOL_SIZE ?? '' }
    : { CONFI_DB: join(dir, 'confi.db'), DATABASE_URL: '', CONFI_DATA_DIR: join(dir, 'data') }
  const config = resolveConfig({ env, cwd: dir })
  const open = await openDatabase(config.database, { create: true })
  try {
    await applySchema(open)
    loadSecretKey(config.secretFile, { create: true })
    await initFirm(open.db, { firmName: 'Bench', baseUrl: 'http://127.0.0.1' })
    // A firm told of each upload: every commit also writes (or joins) the inbox digest e-mail.
    await open.db.updateTable('firm_options').set({ mail_from: 'Bench <avisos@bench.example>', inbox_email: 'recebidos@bench.example' }).execute()
    const bench = accountant('cli:bench')
    const client = await addClient(open.db, loadSecretKey(config.secretFile), bench, { name: 'Bench Ltda', taxId: '11.222.333/0001-81' })
    const user = await addUser(open.db, bench, { clientId: client.id, username: 'bench', name: 'Bench', password: 'senha-do-bench-1', role: 'admin', active: true }, inlineHasher)
    const { token } = await createSession(open.db, { userId: user.id, scope: 'area' }, { idleMinutes: 600, absoluteHours: 12 })
    return { env, config, pgDatabase, clientId: client.id, cookie: `confi_session=${token}` }
  } finally {
    await open.close()
  }
}

async function countUploads(config) {
  const open = await openDatabase(config.database)
  try {
    const row = await open.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()
    return Number(row.n)
  } finally {
    await open.close()
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

if (spawnSync('wrk', ['-v']).error) {
  console.error('bench:upload needs wrk (Debian/Ubuntu: apt-get install wrk); only this bench uses it, not the tests')
  process.exit(1)
}

async function runBackend(backend) {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-up-'))
  const stops = []
  try {
    const world = await fill(backend, dir)
    if (world.pgDatabase) stops.push(() => world.pgDatabase.drop())
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_PROFILE)}`] : []
    // BENCH_SERVE_NODE_OPTIONS: NODE_OPTIONS for this build's `confi serve` only (a trial of V8 flags).
    const nodeOptions = process.env.BENCH_SERVE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVE_NODE_OPTIONS } : {}
    const served = start([...profile, confiBin, 'serve', '--port', '0', '--host', '127.0.0.1'], { ...world.env, ...nodeOptions }, dir, /portal at (http:\/\/\S+)/)
    stops.push(served.stop)
    const bare = start([join(here, 'upload-bare.mjs'), dir], {}, dir, /bare at (http:\/\/\S+)/)
    stops.push(bare.stop)
    const portalUrl = await served.url
    const bareUrl = await bare.url
    const portalScript = join(dir, 'portal.lua')
    const bareScript = join(dir, 'bare.lua')
    writeFileSync(portalScript, luaScript('/enviar', world.cookie, world.clientId))
    writeFileSync(bareScript, luaScript('/upload', '', world.clientId))
    // BENCH_BASE_BIN=<an older build's bin/confi>: that build serves the same database too, run
    // between the bare route and this build's, for a before/after measured in the same run.
    const based = process.env.BENCH_BASE_BIN
      ? start([resolve(process.env.BENCH_BASE_BIN), 'serve', '--port', '0', '--host', '127.0.0.1'], world.env, dir, /portal at (http:\/\/\S+)/)
      : null
    if (based) stops.push(based.stop)
    const baseUrl = based ? await based.url : null
    const baseScript = join(dir, 'base.lua')
    if (based) writeFileSync(baseScript, luaScript('/enviar', world.cookie, world.clientId))
    console.log(`bench:upload (${BACKEND_NAMES[backend]}) — ${cpus().length} cores, ${RUNS} runs of ${SECONDS} s each, ${CONCURRENCY} connections, ${FILE_MB} MB a request`)
    const load = loadavg()[0]
    const runs = { bare: [], portal: [], base: [] }
    let peaks = { bare: 0, portal: 0 }
    let portalRequests = 0
    for (let i = 0; i < RUNS; i++) {
      const b = await withPeakRss(bare.pid, () => wrk(bareUrl, bareScript))
      // Before and after in the same run: the older build first, then this one, each beside the same bare run.
      const o = based ? await withPeakRss(based.pid, () => wrk(baseUrl, baseScript)) : null
      const p = await withPeakRss(served.pid, () => wrk(portalUrl, portalScript))
      runs.bare.push(b.result)
      runs.portal.push(p.result)
      if (o) runs.base.push(o.result)
      peaks = { bare: Math.max(peaks.bare, b.peak), portal: Math.max(peaks.portal, p.peak) }
      portalRequests += p.result.requests + (o?.result.requests ?? 0)
      const before = o ? `, before ${o.result.mbps.toFixed(0)} MB/s p50 ${o.result.p50.toFixed(0)} ms ${o.result.cpuMs.toFixed(0)} CPU ms/upload (${((o.result.mbps / b.result.mbps) * 100).toFixed(0)}%)` : ''
      console.log(`run ${i + 1}: bare ${b.result.mbps.toFixed(0)} MB/s p50 ${b.result.p50.toFixed(0)} ms ${b.result.cpuMs.toFixed(0)} CPU ms/upload${before}, confi ${p.result.mbps.toFixed(0)} MB/s p50 ${p.result.p50.toFixed(0)} ms ${p.result.cpuMs.toFixed(0)} CPU ms/upload (${((p.result.mbps / b.result.mbps) * 100).toFixed(0)}%, ${p.result.errors} errors), RSS ${p.peak.toFixed(0)} MB`)
    }
    if (based) {
      const ratioOf = (xs) => median(xs.map((r, i) => r.mbps / runs.bare[i].mbps))
      console.log(`before/after (BENCH_BASE_BIN): confi/bare ${(ratioOf(runs.base) * 100).toFixed(0)}% -> ${(ratioOf(runs.portal) * 100).toFixed(0)}%, CPU ms/upload ${median(runs.base.map((r) => r.cpuMs)).toFixed(1)} -> ${median(runs.portal.map((r) => r.cpuMs)).toFixed(1)}`)
      await based.stop()
    }
    await served.stop()
    const stored = await countUploads(world.config)
    const ratios = runs.portal.map((p, i) => p.mbps / runs.bare[i].mbps)
    const ratio = median(ratios)
    const bareMbps = median(runs.bare.map((r) => r.mbps))
    const portalMbps = median(runs.portal.map((r) => r.mbps))
    const spread = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
    const errors = runs.portal.reduce((n, r) => n + r.errors, 0) + runs.bare.reduce((n, r) => n + r.errors, 0)
    const text = `### Uploads, ${BACKEND_NAMES[backend]} (\`npm run bench:upload${backend === 'sqlite' ? '' : ':pg'}\`)
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}) shared with other jobs, Node ${process.version},
${backend === 'sqlite' ? 'SQLite with \`synchronous=FULL\`' : 'PostgreSQL (local, fsync on)'}; wrk, 2 threads, ${CONCURRENCY} connections, ${RUNS} alternating runs of ${SECONDS} s, each request one ${FILE_MB} MB PDF
in a multipart form (the same bytes every time: the store keeps one copy, each upload still writes and fsyncs its temporary file);
load average at the start: ${load.toFixed(1)}.

| server | MB/s (median) | MB/s (spread) | p50 ms (median) | p99 ms (median) | CPU ms per upload (median) | peak RSS MB |
|---|---:|---:|---:|---:|---:|---:|
| bare Hono route, body to a file + fsync (own process) | ${bareMbps.toFixed(0)} | ${spread(runs.bare.map((r) => r.mbps))} | ${median(runs.bare.map((r) => r.p50)).toFixed(0)} | ${median(runs.bare.map((r) => r.p99)).toFixed(0)} | ${median(runs.bare.map((r) => r.cpuMs)).toFixed(0)} | ${peaks.bare.toFixed(0)} |
| \`confi serve\`, POST /enviar | ${portalMbps.toFixed(0)} | ${spread(runs.portal.map((r) => r.mbps))} | ${median(runs.portal.map((r) => r.p50)).toFixed(0)} | ${median(runs.portal.map((r) => r.p99)).toFixed(0)} | ${median(runs.portal.map((r) => r.cpuMs)).toFixed(0)} | ${peaks.portal.toFixed(0)} |

- confi / bare, median of the per-run ratios (${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}): **${(ratio * 100).toFixed(0)}%** (target ≥ ${TARGET * 100}%: ${ratio >= TARGET ? 'meets the target' : 'MISSES the target'}).
- Peak RSS of \`confi serve\`: **${peaks.portal.toFixed(0)} MB** (target < ${RSS_LIMIT_MB} MB: ${peaks.portal < RSS_LIMIT_MB ? 'meets the target' : 'MISSES the target'}).
- Errors (non-2xx/3xx, socket errors, timeouts): ${errors}; uploads committed: ${stored} for ${portalRequests} completed requests.
- Alike: one process each, the same body, both read the socket's own stream (the bare route too, not a web-stream copy), both fsync every file; the firm has an inbox address, so each upload also writes or joins the digest e-mail.
- Where confi's time goes (\`BENCH_PROFILE=<dir>\`, a --cpu-prof of \`confi serve\`; BENCH_THREADS=1 for each thread's CPU): SHA-256 of the bytes about 3 ms an upload on the event loop, the kernel's socket reads as in the bare route, about 2 ms in the commit thread; full collections were the largest part above the bare route until \`confi serve\` set V8's heap growing factor to 300% (docs/performance.md, "Uploads, third pass"). The bare route does no parsing or hashing, so a loaded machine (load average above the 2 cores) slows confi far more than it.`
    console.log(`\n${text}\n`)
    if (process.env.BENCH_REPORT !== '0') updateReport(backend === 'sqlite' ? 'bench:upload' : `bench:upload:${backend}`, text, { date: new Date().toISOString().slice(0, 10), smoke: SMOKE, ratio, target: TARGET, rss: peaks.portal, errors })
  } finally {
    for (const stop of stops.reverse()) await stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

for (const backend of selectedBackends()) await runBackend(backend)

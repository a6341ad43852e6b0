// `npm run bench:download`: the gated download of `confi serve` against a bare Hono route serving
// the same 100 KB file with readFile, both loaded by wrk (a C load generator, so the load takes
// little CPU from the servers), side by side in one run (issue 13, target 1).
//
// The gated download is the real thing: `bin/confi serve` (the esbuild bundle) as its own process,
// session cookie, scope check, one access-log row committed before the first byte. The bare route
// runs in this process on the same @hono/node-server stack. Then the gated download again while a
// burst of logins (8 users in parallel, bcrypt) runs, for the p99 ratio.
//
// Runs once per backend: SQLite always, PostgreSQL too under scripts/with-postgres.sh. wrk is a
// bench-only tool (Debian package `wrk`); the tests never need it. Everything listens on
// 127.0.0.1; each wrk run lasts BENCH_SECONDS (default 10). Results go to docs/performance.md.
//
// Knobs: BENCH_SECONDS (10; fewer marks a smoke run), BENCH_CONCURRENCY (16), BENCH_BACKENDS,
// BENCH_REPORT=0, BENCH_PROFILE=DIR (runs confi serve under --cpu-prof, profiles written to DIR).
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { resolveConfig } from '../dist/core/config/app-config.js'
import { loadSecretKey } from '../dist/core/tokens.js'
import { initFirm } from '../dist/core/clients/firm.js'
import { addClient } from '../dist/core/clients/clients.js'
import { addUser } from '../dist/core/identity/registration.js'
import { accountant } from '../dist/core/actors.js'
import { addDocument } from '../dist/core/documents/documents.js'
import { createDiskFileStore } from '../dist/core/storage/disk/disk-store.js'
import { createPasswordPool } from '../dist/core/identity/password-pool.js'
import { createSession } from '../dist/core/identity/sessions.js'
import { BACKEND_NAMES, selectedBackends, smokeNote, updateReport } from './report.mjs'
import { createBenchDatabase, serverVersion } from './postgres.mjs'

const run = promisify(execFile)
const here = fileURLToPath(new URL('.', import.meta.url))
const confiBin = resolve(here, '..', 'bin', 'confi')
const loadClient = join(here, 'load-client.mjs')
const wrkScript = join(here, 'wrk-summary.lua')
const FULL_SECONDS = 10
const SECONDS = Number(process.env.BENCH_SECONDS ?? FULL_SECONDS)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const SMOKE = SECONDS < FULL_SECONDS
const FILE_BYTES = 100 * 1024
const PASSWORD = 'senha-do-bench-1'
const BENCH = accountant('cli:bench')
const LOGIN_CONCURRENCY = 8

/** One wrk run: requests/s, latency percentiles (ms) and every kind of failure it counts. */
async function wrk(url, { seconds = SECONDS, cookie = '' } = {}) {
  const args = ['-t2', `-c${CONCURRENCY}`, `-d${seconds}s`, '--timeout', '5s', '-s', wrkScript]
  if (cookie) args.push('-H', `Cookie: ${cookie}`)
  const { stdout } = await run('wrk', [...args, url], { maxBuffer: 1 << 20 })
  const line = stdout.split('\n').find((l) => l.startsWith('{"wrk"'))
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`)
  const r = JSON.parse(line).wrk
  // A 303 to the login page or a short body would count as a success to wrk: every response
  // must have carried the whole file.
  const short = r.bytes < r.requests * FILE_BYTES ? 1 : 0
  return {
    rps: r.requests / (r.duration_us / 1e6),
    p50: r.p50_us / 1000,
    p99: r.p99_us / 1000,
    requests: r.requests,
    errors: r.status + r.connect + r.read + r.write + r.timeout + short,
    detail: r,
  }
}

async function logins(url, seconds) {
  const body = `username=login{worker}&password=${PASSWORD}`
  const { stdout } = await run(process.execPath, [loadClient, url, String(seconds), String(LOGIN_CONCURRENCY), 'POST', '', body], {
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout)
}

/** `confi serve` from the bundle, as an operator starts it; resolves with its URL. */
function startServe(env, cwd, profileDir) {
  const args = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, confiBin] : [confiBin]
  const child = spawn(process.execPath, [...args, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const url = new Promise((resolvePromise, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk
      const match = /portal at (http:\/\/\S+)/.exec(out)
      if (match) resolvePromise(match[1])
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => (out += chunk))
    child.once('exit', (code) => reject(new Error(`confi serve exited ${code}: ${out}`)))
  })
  return {
    url,
    output: () => out,
    stop: () =>
      new Promise((resolvePromise) => {
        if (child.exitCode !== null) return resolvePromise()
        child.once('exit', resolvePromise)
        child.kill('SIGTERM')
      }),
  }
}

async function fill(backend, dir) {
  const pgDatabase = backend === 'postgres' ? await createBenchDatabase(process.env.CONFI_TEST_DATABASE_URL) : null
  const env = pgDatabase
    ? { DATABASE_URL: pgDatabase.url, CONFI_DATA_DIR: join(dir, 'data'), CONFI_PG_POOL_SIZE: process.env.CONFI_PG_POOL_SIZE ?? '' }
    : { CONFI_DB: join(dir, 'confi.db'), DATABASE_URL: '' }
  const config = resolveConfig({ env, cwd: dir })
  const open = await openDatabase(config.database, { create: true })
  const hasher = createPasswordPool(2)
  try {
    await applySchema(open)
    const db = open.db
    loadSecretKey(config.secretFile, { create: true })
    await initFirm(db, { firmName: 'Bench', baseUrl: 'http://127.0.0.1' })
    const store = createDiskFileStore(join(config.dataDir, 'files'))
    const client = await addClient(db, loadSecretKey(config.secretFile), BENCH, { name: 'Bench Ltda', taxId: '11.222.333/0001-81' })
    const user = await addUser(db, BENCH, { clientId: client.id, username: 'bench', name: 'Bench', password: PASSWORD, role: 'admin', active: true }, hasher)
    // One user per login connection: the throttle would refuse eight parallel logins of one user
    // without hashing anything (bench/portal.mjs explains).
    for (let i = 0; i < LOGIN_CONCURRENCY; i++) {
      await addUser(db, BENCH, { clientId: client.id, username: `login${i}`, name: `Login ${i}`, password: PASSWORD, role: 'collaborator', active: true }, hasher)
    }
    const filePath = join(dir, 'file.pdf')
    writeFileSync(filePath, Buffer.alloc(FILE_BYTES, 0x41))
    const doc = await addDocument(db, store, BENCH, { clientId: client.id, title: 'Arquivo', category: 'fiscal', files: [{ path: filePath }] })
    const { token } = await createSession(db, { userId: user.id, scope: 'area' }, { idleMinutes: 600, absoluteHours: 12 })
    return { env, pgDatabase, filePath, cookie: `confi_session=${token}`, path: `/documents/${doc.id}/files/${doc.attachments[0].id}` }
  } finally {
    await hasher.close()
    await open.close()
  }
}

async function countRows(env, dir) {
  const open = await openDatabase(resolveConfig({ env, cwd: dir }).database)
  try {
    const row = await open.db.selectFrom('access_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()
    return Number(row.n)
  } finally {
    await open.close()
  }
}

async function downloadBench(backend) {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-dl-'))
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })]
  try {
    const world = await fill(backend, dir)
    if (world.pgDatabase) cleanups.unshift(() => world.pgDatabase.drop())

    // The baseline: the same server stack, no session, no check, no log; the file read whole.
    const bare = new Hono()
    bare.get('/read', async () => new Response(await readFile(world.filePath), { headers: { 'content-type': 'application/pdf' } }))
    const bareServer = await new Promise((ok) => {
      const s = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => ok(s))
    })
    cleanups.unshift(() => new Promise((ok) => bareServer.close(ok)))
    const bareUrl = `http://127.0.0.1:${bareServer.address().port}/read`

    const served = startServe(world.env, dir, process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE, backend) : null)
    cleanups.unshift(() => served.stop())
    const portalUrl = await served.url
    const gatedUrl = `${portalUrl}${world.path}`

    console.log(`bench:download ${backend} — ${cpus().length} cores, wrk ${SECONDS} s a run, ${CONCURRENCY} connections`)
    const load1 = loadavg()[0]
    // Warm-up: JIT, statement caches, connection pools, the file cache.
    await wrk(gatedUrl, { seconds: 2, cookie: world.cookie })
    await wrk(bareUrl, { seconds: 2 })
    const rowsBefore = await countRows(world.env, dir)
    const bareRun = await wrk(bareUrl)
    const gated = await wrk(gatedUrl, { cookie: world.cookie })
    const [during, burst] = await Promise.all([wrk(gatedUrl, { cookie: world.cookie }), logins(`${portalUrl}/login`, SECONDS)])
    await served.stop()
    const rows = (await countRows(world.env, dir)) - rowsBefore
    const version = world.pgDatabase ? await serverVersion(world.pgDatabase.url) : ''
    return { bare: bareRun, gated, during, burst, rows, load: load1, version, serveOutput: served.output() }
  } finally {
    for (const cleanup of cleanups) await cleanup()
  }
}

const TARGET = { sqlite: 0.6, postgres: 0.45 }

function markdown(backend, r) {
  const ratio = r.gated.rps / r.bare.rps
  const p99Ratio = r.during.p99 / r.gated.p99
  const errors = r.bare.errors + r.gated.errors + r.during.errors
  // Every completed gated download must have its row (in-flight requests at the end add a few).
  const unlogged = Math.max(0, r.gated.requests + r.during.requests - r.rows)
  const target = TARGET[backend]
  const database = backend === 'sqlite'
    ? 'SQLite with `synchronous=FULL`'
    : `PostgreSQL ${r.version} (the throwaway cluster of scripts/with-postgres.sh: \`fsync=off\`, same machine)`
  const text = `### ${BACKEND_NAMES[backend]}
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}) shared with other jobs, Node ${process.version},
${database}; wrk, 2 threads, ${CONCURRENCY} connections, ${SECONDS} s a run; load average at the start: ${r.load.toFixed(1)}.

| run | requests/s | p50 ms | p99 ms | errors |
|---|---:|---:|---:|---:|
| bare Hono route, readFile | ${r.bare.rps.toFixed(0)} | ${r.bare.p50.toFixed(1)} | ${r.bare.p99.toFixed(1)} | ${r.bare.errors} |
| gated download (\`confi serve\`) | ${r.gated.rps.toFixed(0)} | ${r.gated.p50.toFixed(1)} | ${r.gated.p99.toFixed(1)} | ${r.gated.errors} |
| gated download during a login burst | ${r.during.rps.toFixed(0)} | ${r.during.p50.toFixed(1)} | ${r.during.p99.toFixed(1)} | ${r.during.errors} |
| logins (${LOGIN_CONCURRENCY} users in parallel) | ${r.burst.rps.toFixed(1)} | ${r.burst.p50.toFixed(1)} | ${r.burst.p99.toFixed(1)} | ${r.burst.errors} |

- Gated / bare: **${(ratio * 100).toFixed(0)}%** (target ≥ ${target * 100}%: ${ratio >= target ? 'meets the target' : 'MISSES the target'}).
- p99 during the login burst / p99 without: **${p99Ratio.toFixed(2)}×** (target ≤ 2×: ${p99Ratio <= 2 ? 'meets the target' : 'MISSES the target'}).
- Errors (non-2xx, socket errors, short bodies): ${errors}; access-log rows written: ${r.rows} for ${r.gated.requests + r.during.requests} downloads${unlogged ? ` (**${unlogged} downloads without a row**)` : ''}; login statuses ${JSON.stringify(r.burst.statuses)}.`
  return {
    text,
    data: {
      date: new Date().toISOString().slice(0, 10),
      seconds: SECONDS,
      smoke: SMOKE,
      bare: r.bare.rps,
      gated: { rps: r.gated.rps, p99: r.gated.p99 },
      during: { rps: r.during.rps, p99: r.during.p99 },
      ratio,
      target,
      p99Ratio,
      errors: errors + unlogged,
    },
  }
}

const fmt = (x) => `${x.rps.toFixed(0).padStart(6)} req/s  p50 ${x.p50.toFixed(1).padStart(6)} ms  p99 ${x.p99.toFixed(1).padStart(6)} ms  errors ${x.errors}`

if (spawnSync('wrk', ['-v']).error) {
  console.error('bench:download needs wrk (Debian/Ubuntu: apt-get install wrk); only this bench uses it, not the tests')
  process.exit(1)
}

for (const backend of selectedBackends()) {
  const r = await downloadBench(backend)
  console.log([`bare      ${fmt(r.bare)}`, `gated     ${fmt(r.gated)}`, `during    ${fmt(r.during)}`, `logins    ${fmt(r.burst)}`].join('\n'))
  const { text, data } = markdown(backend, r)
  console.log(`\n${text}\n`)
  if (process.env.BENCH_REPORT !== '0') updateReport(`bench:download:${backend}`, text, data)
}

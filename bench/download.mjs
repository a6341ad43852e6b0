// `npm run bench:download`: the gated download of `confi serve` against a bare Hono route serving
// the same 100 KB file with readFile, measured as issue 23 checks it: wrk -t1 -c16 -d8s, a
// logged-in session cookie, each server in its own process, best of two rounds each (the rounds
// interleaved: bare, gated, bare, gated), both figures and their ratio printed.
//
// The gated download is the real thing: `bin/confi serve` (the esbuild bundle) as its own process,
// session cookie, scope check, one access-log row committed before the first byte. The bare route
// (bench/download-bare.mjs) runs on the same @hono/node-server stack. Then the gated download
// again while a burst of logins (8 users in parallel, bcrypt) runs, for the p99 ratio. Each run
// also reads the CPU time (user + sys, /proc) the servers spent, per request: on this shared
// machine that moves less than requests/s. On PostgreSQL the CPU of the bench database's own
// backends is counted beside confi's.
//
// Runs once per backend: SQLite always, PostgreSQL too under scripts/with-postgres.sh. wrk is a
// bench-only tool (Debian package `wrk`); the tests never need it. Everything listens on
// 127.0.0.1; each wrk run lasts BENCH_SECONDS (default 8). Results go to docs/performance.md.
//
// Knobs: BENCH_SECONDS (8; fewer marks a smoke run), BENCH_CONCURRENCY (16), BENCH_ROUNDS (2),
// BENCH_BACKENDS, BENCH_REPORT=0, BENCH_PROFILE=DIR (runs confi serve under --cpu-prof, profiles
// written to DIR), BENCH_BASELINE_CONFI=PATH (another build's bin/confi, e.g. main's, run in the
// same rounds against the same database for a same-run A/B; reported on the console only).
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import pg from 'pg'
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
import { addDocument } from '../dist/core/documents/documents.js'
import { createDiskFileStore } from '../dist/core/storage/disk/disk-store.js'
import { createPasswordPool } from '../dist/core/identity/password-pool.js'
import { createSession } from '../dist/core/identity/sessions.js'
import { BACKEND_NAMES, selectedBackends, smokeNote, updateReport } from './report.mjs'
import { createBenchDatabase, serverVersion } from './postgres.mjs'

const run = promisify(execFile)
const here = fileURLToPath(new URL('.', import.meta.url))
const confiBin = resolve(here, '..', 'bin', 'confi')
const bareScript = join(here, 'download-bare.mjs')
const loadClient = join(here, 'load-client.mjs')
const wrkScript = join(here, 'wrk-summary.lua')
const FULL_SECONDS = 8
const SECONDS = Number(process.env.BENCH_SECONDS ?? FULL_SECONDS)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const SMOKE = SECONDS < FULL_SECONDS
const FILE_BYTES = 100 * 1024
const PASSWORD = 'senha-do-bench-1'
const BENCH = accountant('cli:bench')
const LOGIN_CONCURRENCY = 8
const TICKS_PER_SECOND = 100

/** One wrk run (one thread, as the issue checks it): requests/s, latency percentiles (ms), failures. */
async function wrk(url, { seconds = SECONDS, cookie = '' } = {}) {
  const args = ['-t1', `-c${CONCURRENCY}`, `-d${seconds}s`, '--timeout', '5s', '-s', wrkScript]
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

/** CPU seconds (user + sys) a process has used so far, from /proc; 0 once it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** The CPU of the PostgreSQL backends serving the bench database (confi's pool), by pid. */
async function backendCpu(url) {
  if (!url) return new Map()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')
    return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]))
  } finally {
    await client.end()
  }
}

/** The statements bench/pg-statements.cjs counted in `server` since it last asked (BENCH_PG_COUNT=1). */
async function statementCounts(server) {
  const seen = server.output().length
  process.kill(server.pid, 'SIGUSR2')
  for (let i = 0; i < 100; i++) {
    const line = server.output().slice(seen).split('\n').find((l) => l.startsWith('pg-statements '))
    if (line) return JSON.parse(line.slice('pg-statements '.length))
    await new Promise((ok) => setTimeout(ok, 20))
  }
  throw new Error('confi serve did not report its statements')
}

/** A wrk run with the CPU seconds per request of the server process (and of PostgreSQL's backends). */
async function measured(url, server, pgUrl, options) {
  if (server.countStatements) await statementCounts(server)
  const before = { server: cpuSeconds(server.pid), pg: await backendCpu(pgUrl) }
  const r = await wrk(url, options)
  const server2 = cpuSeconds(server.pid)
  const after = await backendCpu(pgUrl)
  let pgCpu = 0
  for (const [pid, cpu] of after) pgCpu += cpu - (before.pg.get(pid) ?? 0)
  const n = Math.max(1, r.requests)
  if (server.countStatements) {
    const counts = await statementCounts(server)
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    console.log(`  statements per download: ${(total / n).toFixed(2)}`)
    for (const [text, count] of Object.entries(counts)) console.log(`    ${(count / n).toFixed(3)}  ${text}`)
  }
  return { ...r, cpuUs: ((server2 - before.server) / n) * 1e6, pgCpuUs: (pgCpu / n) * 1e6 }
}

async function logins(url, seconds) {
  const body = `username=login{worker}&password=${PASSWORD}`
  const { stdout } = await run(process.execPath, [loadClient, url, String(seconds), String(LOGIN_CONCURRENCY), 'POST', '', body], {
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout)
}

/** A server as its own process; resolves `url` with what it prints matching `pattern`. */
function startProcess(args, env, cwd, pattern) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const url = new Promise((resolvePromise, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk
      const match = pattern.exec(out)
      if (match) resolvePromise(match[1])
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => (out += chunk))
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)))
  })
  url.catch(() => {})
  return {
    url,
    pid: child.pid,
    output: () => out,
    stop: () =>
      new Promise((resolvePromise) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolvePromise()
        child.once('exit', resolvePromise)
        child.kill('SIGTERM')
      }),
  }
}

/** `confi serve` from a bundle (`bin`), as an operator starts it. */
function startServe(bin, env, cwd, profileDir, countStatements = false) {
  const args = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []
  if (countStatements) args.push('--require', join(here, 'pg-statements.cjs'))
  const server = startProcess([...args, bin, 'serve', '--port', '0', '--host', '127.0.0.1'], env, cwd, /portal at (http:\/\/\S+)/)
  return { ...server, countStatements }
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

const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a))

async function downloadBench(backend) {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-dl-'))
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })]
  try {
    const world = await fill(backend, dir)
    if (world.pgDatabase) cleanups.unshift(() => world.pgDatabase.drop())
    const pgUrl = world.pgDatabase?.url

    // The baseline: the same server stack in its own process, no session, no check, no log; the file read whole.
    const bare = startProcess([bareScript, world.filePath], {}, dir, /bare at (http:\/\/\S+)/)
    cleanups.unshift(() => bare.stop())
    const bareUrl = await bare.url

    const profile = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE, backend) : null
    const builds = [{ name: 'gated', bin: confiBin, profile }]
    if (process.env.BENCH_BASELINE_CONFI) builds.push({ name: 'baseline', bin: resolve(process.env.BENCH_BASELINE_CONFI), profile: null })
    for (const build of builds) {
      build.server = startServe(build.bin, world.env, dir, build.profile, Boolean(pgUrl) && process.env.BENCH_PG_COUNT === '1')
      cleanups.unshift(() => build.server.stop())
      build.url = `${await build.server.url}${world.path}`
      build.runs = []
    }
    const gated = builds[0]

    console.log(`bench:download ${backend} — ${cpus().length} cores, wrk -t1 -c${CONCURRENCY} -d${SECONDS}s, best of ${ROUNDS} rounds`)
    const load1 = loadavg()[0]
    // Warm-up: JIT, statement caches, connection pools, the file cache.
    for (const build of builds) await wrk(build.url, { seconds: 2, cookie: world.cookie })
    await wrk(bareUrl, { seconds: 2 })
    const rowsBefore = await countRows(world.env, dir)
    const bareRuns = []
    for (let round = 0; round < ROUNDS; round++) {
      bareRuns.push(await measured(bareUrl, bare, null))
      console.log(`  round ${round + 1} bare      ${fmt(bareRuns.at(-1))}`)
      // Alternate which build goes first, so neither always follows the bare run.
      const order = round % 2 ? [...builds].reverse() : builds
      for (const build of order) {
        build.runs.push(await measured(build.url, build.server, pgUrl, { cookie: world.cookie }))
        console.log(`  round ${round + 1} ${build.name.padEnd(9)} ${fmt(build.runs.at(-1))}`)
      }
    }
    for (const build of builds.slice(1)) await build.server.stop()
    const portalUrl = await gated.server.url
    const [during, burst] = await Promise.all([measured(gated.url, gated.server, pgUrl, { cookie: world.cookie }), logins(`${portalUrl}/login`, SECONDS)])
    await gated.server.stop()
    const rows = (await countRows(world.env, dir)) - rowsBefore
    const downloads = builds.reduce((n, b) => n + b.runs.reduce((m, r) => m + r.requests, 0), during.requests)
    const version = world.pgDatabase ? await serverVersion(world.pgDatabase.url) : ''
    const others = builds.slice(1).map((b) => ({ name: b.name, best: best(b.runs), runs: b.runs }))
    return { bare: best(bareRuns), bareRuns, gated: best(gated.runs), gatedRuns: gated.runs, others, during, burst, rows, downloads, load: load1, version }
  } finally {
    for (const cleanup of cleanups) await cleanup()
  }
}

const TARGET = { sqlite: 0.7, postgres: 0.5 }

const cpuCell = (r) => `${r.cpuUs.toFixed(0)}${r.pgCpuUs ? ` + ${r.pgCpuUs.toFixed(0)}` : ''}`

function markdown(backend, r) {
  const ratio = r.gated.rps / r.bare.rps
  const p99Ratio = r.during.p99 / r.gated.p99
  const errors = [...r.bareRuns, ...r.gatedRuns, ...r.others.flatMap((o) => o.runs), r.during].reduce((n, x) => n + x.errors, 0)
  // Every completed gated download must have its row (in-flight requests at the end add a few).
  const unlogged = Math.max(0, r.downloads - r.rows)
  const target = TARGET[backend]
  const database = backend === 'sqlite'
    ? 'SQLite with `synchronous=FULL`'
    : `PostgreSQL ${r.version} (the throwaway cluster of scripts/with-postgres.sh: \`fsync=off\`, same machine)`
  const all = (runs) => runs.map((x) => x.rps.toFixed(0)).join(', ')
  const text = `### ${BACKEND_NAMES[backend]}
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}) shared with other jobs, Node ${process.version},
${database}; wrk -t1 -c${CONCURRENCY} -d${SECONDS}s, best of ${ROUNDS} interleaved rounds, each server in its own process; load average at the start: ${r.load.toFixed(1)}.
CPU is the server's user + sys time per request${backend === 'postgres' ? ' (confi + its PostgreSQL backends)' : ''}.

| run | requests/s (best; all) | p50 ms | p99 ms | CPU µs/request | errors |
|---|---:|---:|---:|---:|---:|
| bare Hono route, readFile | ${r.bare.rps.toFixed(0)} (${all(r.bareRuns)}) | ${r.bare.p50.toFixed(1)} | ${r.bare.p99.toFixed(1)} | ${cpuCell(r.bare)} | ${r.bare.errors} |
| gated download (\`confi serve\`) | ${r.gated.rps.toFixed(0)} (${all(r.gatedRuns)}) | ${r.gated.p50.toFixed(1)} | ${r.gated.p99.toFixed(1)} | ${cpuCell(r.gated)} | ${r.gated.errors} |
| gated download during a login burst | ${r.during.rps.toFixed(0)} | ${r.during.p50.toFixed(1)} | ${r.during.p99.toFixed(1)} | ${cpuCell(r.during)} | ${r.during.errors} |
| logins (${LOGIN_CONCURRENCY} users in parallel) | ${r.burst.rps.toFixed(1)} | ${r.burst.p50.toFixed(1)} | ${r.burst.p99.toFixed(1)} | | ${r.burst.errors} |

- Gated / bare: **${(ratio * 100).toFixed(0)}%** (target ≥ ${target * 100}%: ${ratio >= target ? 'meets the target' : 'MISSES the target'}).
- p99 during the login burst / p99 without: **${p99Ratio.toFixed(2)}×** (target ≤ 2×: ${p99Ratio <= 2 ? 'meets the target' : 'MISSES the target'}).
- Errors (non-2xx, socket errors, short bodies): ${errors}; access-log rows written: ${r.rows} for ${r.downloads} downloads${unlogged ? ` (**${unlogged} downloads without a row**)` : ''}; login statuses ${JSON.stringify(r.burst.statuses)}.`
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

function fmt(x) {
  const cpu = `cpu ${x.cpuUs.toFixed(0).padStart(4)}${x.pgCpuUs ? ` + pg ${x.pgCpuUs.toFixed(0).padStart(4)}` : ''} µs/req`
  return `${x.rps.toFixed(0).padStart(6)} req/s  p50 ${x.p50.toFixed(1).padStart(6)} ms  p99 ${x.p99.toFixed(1).padStart(6)} ms  ${cpu}  errors ${x.errors}`
}

if (spawnSync('wrk', ['-v']).error) {
  console.error('bench:download needs wrk (Debian/Ubuntu: apt-get install wrk); only this bench uses it, not the tests')
  process.exit(1)
}

for (const backend of selectedBackends()) {
  const r = await downloadBench(backend)
  const lines = [`bare      ${fmt(r.bare)}`, `gated     ${fmt(r.gated)}`]
  for (const o of r.others) lines.push(`${o.name.padEnd(9)} ${fmt(o.best)}  (${((o.best.rps / r.bare.rps) * 100).toFixed(0)}% of bare)`)
  lines.push(`during    ${fmt(r.during)}`, `logins    ${r.burst.rps.toFixed(1)} req/s  p99 ${r.burst.p99.toFixed(1)} ms`)
  lines.push(`ratio     gated / bare ${((r.gated.rps / r.bare.rps) * 100).toFixed(0)}%  (best ${r.gated.rps.toFixed(0)} / best ${r.bare.rps.toFixed(0)} req/s)`)
  console.log(lines.join('\n'))
  const { text, data } = markdown(backend, r)
  console.log(`\n${text}\n`)
  if (process.env.BENCH_REPORT !== '0') updateReport(`bench:download:${backend}`, text, data)
}

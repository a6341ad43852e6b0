// npm run bench:scale — the firm at scale (issue 13 target 4, docs/performance.md).
//
// Fills (or takes from the cache) 100,000 clients, 1,000,000 documents and 10,000,000 access-log
// rows with a valid chain and tree (bench/scale-fill.mjs), starts `confi serve` from dist on that
// database and measures over real HTTP on 127.0.0.1 the p99 of the portal pages a group-head
// user opens, then the wall time of the firm's CLI commands, `confi docs verify`'s rate, the
// inclusion proof and the database's size. Results go to docs/performance.md (bench/report.mjs),
// with the plan of every query the pages and commands ran.
//
// Knobs: CONFI_SCALE (default 1; 0.01 for development; below 1 marks a smoke run),
// BENCH_BACKENDS=sqlite|postgres, BENCH_REQUESTS (300 a page), BENCH_REPORT=0 writes no report,
// BENCH_FILL_ONLY=1 only fills the cache (or checks it is there), BENCH_VERIFY=0 skips `docs verify`
// (minutes at full size on a loaded machine), BENCH_ERASE=0 skips `privacy erase`, BENCH_ERASE_ROWS (100,000 scaled),
// BENCH_PRIVACY_ROWS (the exported person's log rows; default 100,000 × CONFI_SCALE, at least 1,000:
// bench/scale-privacy.mjs), BENCH_RETENTION=0 skips the retention section,
// CONFI_SCALE_CACHE (default $TMPDIR/confi-scale-cache). The fill is cached per backend, fill
// format and sizes (a SQLite file; a pg_dump for PostgreSQL); a cached database is upgraded in
// place to the current schema, and every run appends the rows its page views log.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema, schemaVersion } from '../dist/core/db/schema.js'
import { createSession } from '../dist/core/identity/sessions.js'
import { cursorAfter } from '../dist/core/documents/list-order.js'
import { loadSecretKey } from '../dist/core/tokens.js'
import { storedInclusionProof } from '../dist/core/access-log/tree/merkle.js'
import { appendInTransaction } from '../dist/core/access-log/chain/append.js'
import { FILL_FORMAT, scaleSizes } from './scale-data.mjs'
import { fillPostgres, fillSqlite } from './scale-fill.mjs'
import { queryPlans } from './scale-plans.mjs'
import { privacyExportTime } from './scale-privacy.mjs'
import { retentionMarkdown, retentionTimes } from './scale-retention.mjs'
import { BACKEND_NAMES, selectedBackends, smokeNote, updateReport } from './report.mjs'
import { createBenchDatabase, keptBenchDatabase, psqlEnv, psqlPath, serverVersion } from './postgres.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const SCALE = Number(process.env.CONFI_SCALE ?? 1)
const sizes = scaleSizes(SCALE)
const SMOKE = SCALE < 1
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300)
const CACHE = process.env.CONFI_SCALE_CACHE ?? join(tmpdir(), 'confi-scale-cache')
const PAGE_SIZE = 25
const DEEP_PAGE = 200
// pg_dump and pg_restore beside the psql the benches use (Debian keeps them out of PATH).
const pgBin = (name) => (psqlPath() === 'psql' ? name : join(dirname(psqlPath()), name))
const say = (text) => process.stderr.write(`bench:scale ${text}\n`)

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000
      if (code !== 0) return reject(new Error(`${args.slice(0, 3).join(' ')} exited ${code}: ${stderr.trim()}`))
      resolve({ seconds, stdout })
    })
  })
}

// --- The database, filled or from the cache ---------------------------------------------------

const cacheName = (backend) => `${backend}-f${FILL_FORMAT}-${sizes.clients}-${sizes.documents}-${sizes.logRows}`

// The firm's files beside the cached database: what `confi init` would have made.
function firmEnv(dir) {
  const secretFile = join(dir, 'data', 'secret.key')
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 })
  loadSecretKey(secretFile, { create: true })
  return { CONFI_DATA_DIR: join(dir, 'data'), CONFI_SECRET_FILE: secretFile, CONFI_SIGNING_KEY_FILE: join(dir, 'signing-keys.json') }
}

async function upgrade(target) {
  const open = await openDatabase(target)
  try {
    await applySchema(open)
  } finally {
    await open.close()
  }
}

async function sqliteDatabase() {
  const dir = join(CACHE, cacheName('sqlite'))
  const path = join(dir, 'confi.db')
  const keyFile = join(dir, 'signing-keys.json')
  let fillSeconds = null
  if (!existsSync(join(dir, 'complete'))) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    say(`sqlite: filling ${describe(sizes)} into ${dir}`)
    const started = performance.now()
    await fillSqlite(path, sizes, { keyFile })
    fillSeconds = (performance.now() - started) / 1000
    writeFileSync(join(dir, 'complete'), new Date().toISOString())
  } else {
    say(`sqlite: using the cached fill in ${dir}`)
  }
  const target = { kind: 'sqlite', path }
  await upgrade(target)
  return {
    target,
    fillSeconds,
    env: { CONFI_DB: path, ...firmEnv(dir) },
    size: () => ['', '-wal'].reduce((sum, s) => sum + (existsSync(path + s) ? statSync(path + s).size : 0), 0),
    version: null,
    drop: async () => {},
  }
}

async function postgresDatabase() {
  const dir = join(CACHE, cacheName('postgres'))
  const keyFile = join(dir, 'signing-keys.json')
  const kept = process.env.CONFI_PG_CLUSTER
  const database = kept
    ? await keptBenchDatabase(process.env.CONFI_TEST_DATABASE_URL, `confi_scale_${cacheName('postgres').replaceAll('-', '_')}`)
    : await createBenchDatabase(process.env.CONFI_TEST_DATABASE_URL)
  const timing = database.complete ? (say(`postgres: using ${database.name} on the kept cluster in ${kept}`), {}) : await loadPostgres(dir, database, keyFile)
  const target = { kind: 'postgres', url: database.url, poolSize: 4 }
  await upgrade(target)
  return {
    target,
    fillSeconds: timing.fillSeconds ?? null,
    restoreSeconds: timing.restoreSeconds ?? null,
    env: { DATABASE_URL: database.url, ...firmEnv(dir) },
    size: null,
    version: await serverVersion(database.url),
    drop: () => database.drop(),
  }
}

// Fills the database, or restores the cached dump into it. On a kept cluster (CONFI_PG_CLUSTER,
// which `npm run bench:scale:pg` sets) this happens once: later runs use the database as it is,
// as the SQLite cache is used, instead of spending minutes restoring 10 million rows each time.
async function loadPostgres(dir, database, keyFile) {
  const dump = join(dir, 'confi.dump')
  const pgEnv = { ...psqlEnv(database.url) }
  await database.reset?.()
  if (!existsSync(join(dir, 'complete'))) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    say(`postgres: filling ${describe(sizes)} into ${database.name}`)
    const started = performance.now()
    await fillPostgres(database.url, sizes, { keyFile })
    const fillSeconds = (performance.now() - started) / 1000
    say('postgres: dumping the fill for the next run')
    await run(pgBin('pg_dump'), ['-Fc', '-Z', '0', '-f', dump], pgEnv)
    writeFileSync(join(dir, 'complete'), new Date().toISOString())
    await database.markComplete?.()
    return { fillSeconds }
  }
  say(`postgres: restoring the cached fill from ${dump}`)
  const started = performance.now()
  await run(pgBin('pg_restore'), ['-j', '2', '--no-owner', '-d', database.name, dump], pgEnv)
  await run(pgBin('psql'), ['-X', '-q', '-c', 'VACUUM (ANALYZE)'], pgEnv)
  await database.markComplete?.()
  return { restoreSeconds: (performance.now() - started) / 1000 }
}

const describe = (s) =>
  `${s.clients.toLocaleString('en')} clients, ${s.documents.toLocaleString('en')} documents, ${s.logRows.toLocaleString('en')} log rows`

// --- The portal ------------------------------------------------------------------------------

function startServe(env) {
  const server = spawn(process.execPath, [join(root, 'bin/confi'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`confi serve did not start: ${out}`)), 60_000)
    server.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk
      const match = /portal at (http:\/\/\S+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve({ server, url: match[1] })
      }
    })
    server.stderr.setEncoding('utf8').on('data', (chunk) => (out += chunk))
    server.once('exit', (code) => reject(new Error(`confi serve exited ${code}: ${out}`)))
  })
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

function get(url, cookie) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const req = http.get(url, { agent, headers: { cookie } }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }))
    })
    req.on('error', reject)
    req.setTimeout(30_000, () => req.destroy(new Error(`${url}: no answer in 30 s`)))
  })
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

// The server's CPU time (user + system) so far, in ms: on a shared machine, what a page costs
// the server is steadier than its latency. /proc counts in clock ticks of 1/100 s on Linux.
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** REQUESTS sequential requests (after 10 warm-up ones), bounded at 90 s; latency percentiles and server CPU a request. */
async function measurePage(url, cookie, pid) {
  for (let i = 0; i < 10; i++) await get(url, cookie)
  const cpuBefore = existsSync(`/proc/${pid}/stat`) ? cpuMs(pid) : null
  const latencies = []
  const statuses = {}
  const deadline = performance.now() + 90_000
  while (latencies.length < REQUESTS && performance.now() < deadline) {
    const { status, ms } = await get(url, cookie)
    statuses[status] = (statuses[status] ?? 0) + 1
    latencies.push(ms)
  }
  const cpu = cpuBefore === null ? null : (cpuMs(pid) - cpuBefore) / latencies.length
  latencies.sort((a, b) => a - b)
  return { requests: latencies.length, statuses, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), cpu }
}

// --- One backend -------------------------------------------------------------------------------

async function deepCursor(db, clientIds) {
  const row = await db
    .selectFrom('documents')
    .select(['id', 'created_at', 'due_date'])
    .where('client_id', 'in', clientIds)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .offset((DEEP_PAGE - 1) * PAGE_SIZE - 1)
    .executeTakeFirst()
  return row ? cursorAfter('newest', { id: Number(row.id), createdAt: row.created_at, dueDate: row.due_date }) : null
}

async function proofTimes(db) {
  const { size } = await db.selectFrom('access_log_tree_head').select('size').executeTakeFirstOrThrow()
  const n = Number(size)
  const times = []
  for (let i = 0; i < 200; i++) {
    const leaf = Math.floor(Math.random() * n)
    const started = performance.now()
    await storedInclusionProof(db, leaf, n)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { median: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1) }
}

async function cliTimes(env) {
  const commands = {
    startUp: ['--version'],
    docsList: ['docs', 'list', '--client', '1'],
    pending: ['docs', 'pending', '--due-within', '3d'],
    reminders: ['reminders', 'run', '--dry-run'],
  }
  const result = {}
  for (const [name, args] of Object.entries(commands)) {
    const runs = []
    for (let i = 0; i < 3; i++) {
      const { seconds, stdout } = await run(process.execPath, [join(root, 'bin/confi'), ...args], env)
      runs.push(seconds)
      result[`${name}Lines`] = stdout.split('\n').length - 1
    }
    runs.sort((a, b) => a - b)
    result[name] = runs[1]
  }
  return result
}

async function verifyRate(env) {
  const { seconds, stdout } = await run(process.execPath, [join(root, 'bin/confi'), 'docs', 'verify', '--json'], env)
  const rows = JSON.parse(stdout).rows
  return { rows, seconds, rate: rows / seconds }
}

// --- privacy erase (issue 21) ------------------------------------------------------------------
// A person with 100,000 format-2 log rows (scaled) in the filled log: a fresh user each run, so the
// cached database keeps its other users; `confi privacy erase --yes` timed with start-up.
// BENCH_ERASE=0 skips it; BENCH_ERASE_ROWS sets the person's rows (default 100,000 scaled).
const ERASE_ROWS = Number(process.env.BENCH_ERASE_ROWS ?? Math.max(1_000, Math.round(100_000 * SCALE)))

async function privacyEraseTime(db, env) {
  // The newest document, of a client outside the measured group: the pages measured on later runs
  // of a cached fill never carry this person's rows.
  const doc = await db.selectFrom('documents').select(['id', 'client_id']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
  const documentId = Number(doc.id)
  const clientId = Number(doc.client_id)
  const username = `bench-erase-${Date.now()}`
  const now = new Date().toISOString()
  const user = await db
    .insertInto('client_users')
    .values({ client_id: clientId, username, username_key: username, name: `Pessoa ${username}`, email: `${username}@exemplo.com.br`, role: 'collaborator', status: 'active', origin: 'cli', created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  const entry = { documentId, clientId, channel: 'portal', action: 'view', ip: '198.51.100.7', port: 443, userAgent: 'Bench/1.0', user: { id: Number(user.id), username, name: `Pessoa ${username}` } }
  say(`privacy erase: logging ${ERASE_ROWS.toLocaleString('en')} rows of one person`)
  for (let done = 0; done < ERASE_ROWS; done += 1000) {
    const n = Math.min(1000, ERASE_ROWS - done)
    await db.transaction().execute((trx) => appendInTransaction(trx, Array.from({ length: n }, () => entry)))
  }
  const { seconds, stdout } = await run(process.execPath, [join(root, 'bin/confi'), 'privacy', 'erase', '--user', username, '--yes', '--json'], env)
  return { rows: JSON.parse(stdout).erased.access_log_rows, seconds }
}

const eraseBlock = (e) =>
  e
    ? `| \`confi privacy erase --yes\` of a person with ${e.rows.toLocaleString('en')} format-2 log rows (wall time with start-up) | **${e.seconds.toFixed(2)} s** | ≤ 10 s: ${mark(e.seconds <= 10)} |`
    : '| `confi privacy erase` | not measured (BENCH_ERASE=0) | |'

async function backendBench(backend) {
  const database = backend === 'sqlite' ? await sqliteDatabase() : await postgresDatabase()
  const env = { ...process.env, ...database.env, NO_COLOR: '1' }
  if (backend === 'sqlite') delete env.DATABASE_URL
  else delete env.CONFI_DB
  const open = await openDatabase(database.target)
  let served = null
  try {
    const { db } = open
    const heavy = [1, ...(await db.selectFrom('clients').select('id').where('group_head_id', '=', 1).orderBy('id').execute()).map((r) => Number(r.id))]
    const doc = await db.selectFrom('documents').select('id').where('client_id', '=', 2).orderBy('id').limit(1).executeTakeFirstOrThrow()
    const { token } = await createSession(db, { userId: 1, scope: 'area' }, { idleMinutes: 600, absoluteHours: 12 })
    const cookie = `confi_session=${token}`
    const cursor = await deepCursor(db, heavy)
    say(`${backend}: planning the queries`)
    const plans = await queryPlans(database.target, { userId: 1, clientIds: heavy, cursor })
    served = await startServe(env)
    say(`${backend}: portal at ${served.url}; ${REQUESTS} requests a page`)
    const load = loadavg()[0]
    const pages = {
      documents: await measurePage(`${served.url}/`, cookie, served.server.pid),
      document: await measurePage(`${served.url}/documents/${doc.id}`, cookie, served.server.pid),
      users: await measurePage(`${served.url}/users`, cookie, served.server.pid),
      dueSoon: await measurePage(`${served.url}/?sort=due`, cookie, served.server.pid),
      deepPage: cursor ? await measurePage(`${served.url}/?after=${cursor}`, cookie, served.server.pid) : null,
    }
    served.server.kill('SIGTERM')
    served = null
    say(`${backend}: CLI commands`)
    const cli = await cliTimes(env)
    const verify = process.env.BENCH_VERIFY === '0' ? null : (say(`${backend}: confi docs verify`), await verifyRate(env))
    const proofs = await proofTimes(db)
    const privacyErase = process.env.BENCH_ERASE === '0' ? null : await privacyEraseTime(db, env)
    say(`${backend}: confi privacy export`)
    const privacy = await privacyExportTime(db, env, run, join(root, 'bin/confi'), SCALE)
    const retention = process.env.BENCH_RETENTION === '0' ? null : (say(`${backend}: confi retention run`), await retentionTimes(db))
    const bytes = database.size ? database.size() : Number((await db.selectNoFrom((eb) => eb.fn('pg_database_size', [eb.fn('current_database', [])]).as('n')).executeTakeFirstOrThrow()).n)
    return {
      backend,
      date: new Date().toISOString().slice(0, 10),
      smoke: SMOKE,
      scale: SCALE,
      sizes,
      heavyCompanies: heavy.length,
      fillSeconds: database.fillSeconds,
      restoreSeconds: database.restoreSeconds ?? null,
      load,
      pages,
      cli,
      verify,
      proofs,
      privacyErase,
      privacy,
      retention,
      bytes,
      logRows: verify?.rows ?? Number((await db.selectFrom('access_log_tree_head').select('size').executeTakeFirstOrThrow()).size),
      plans,
      version: database.version,
      schema: schemaVersion(),
    }
  } finally {
    if (served) served.server.kill('SIGTERM')
    await open.close()
    await database.drop()
  }
}

// --- Report ----------------------------------------------------------------------------------

const ms = (v) => (v == null ? '—' : `${v.toFixed(1)} ms`)
const mark = (ok) => (ok ? '✓ meets' : '✗ MISSES')

const mattered = (p) => p.ms >= 1 || p.count > 1

function planBlock(p) {
  const runs = p.count > 1 ? `, run ${p.count} times, ${p.ms.toFixed(0)} ms in all` : `, ${p.ms.toFixed(1)} ms`
  return `${p.group}${runs}:\n\n\`\`\`\n${p.sql}\n--\n${p.plan}\n\`\`\``
}

function markdown(r) {
  const page = (label, p) =>
    p ? `| ${label} | ${p.requests} | ${ms(p.p50)} | **${ms(p.p99)}** | ${ms(p.max)} | ${ms(p.cpu)} | ${Object.entries(p.statuses).map(([s, n]) => `${s}×${n}`).join(' ')} | ${mark(p.p99 <= 50 && Object.keys(p.statuses).every((s) => s === '200'))} |` : `| ${label} | — | | | | | | not measured |`
  const cli = (label, v, lines) => `| ${label} | **${v.toFixed(2)} s** | ${lines} | ${mark(v <= 2)} |`
  const perMillion = r.bytes / (r.logRows / 1e6)
  const filled = r.fillSeconds != null ? `filled in ${(r.fillSeconds / 60).toFixed(1)} min this run` : r.restoreSeconds != null ? `restored from the cached dump in ${r.restoreSeconds.toFixed(0)} s` : 'from the cached fill'
  return `### ${BACKEND_NAMES[r.backend]}${r.version ? ` ${r.version}` : ''}
${smokeNote(r.smoke)}
Measured on ${r.date}, Node ${process.version}, ${cpus().length} cores, CONFI_SCALE=${r.scale}: ${describe(r.sizes)} (${filled}),
schema version ${r.schema}; load average at the start of the page runs: ${r.load.toFixed(1)}. The group head's area shows
${r.heavyCompanies} companies.

| Portal page (sequential requests, one keep-alive connection) | requests | p50 | p99 | max | server CPU a request | statuses | ≤ 50 ms |
| --- | --- | --- | --- | --- | --- | --- | --- |
${page('Documents page of the group head (`/`, with "A vencer" and "novos")', r.pages.documents)}
${page('A document page (`/documents/:id`, logs a view)', r.pages.document)}
${page('Users page (`/users`)', r.pages.users)}
${page('"A vencer": the panel and the list by due date (`/?sort=due`)', r.pages.dueSoon)}
${page(`Page ${DEEP_PAGE} of the document list (\`/?after=<cursor>\`)`, r.pages.deepPage)}

| CLI command (median of 3, wall time with start-up) | time | output lines | ≤ 2 s |
| --- | --- | --- | --- |
| \`confi --version\` (start-up alone, for scale) | ${r.cli.startUp.toFixed(2)} s | | |
${cli('`confi docs list --client 1`', r.cli.docsList, r.cli.docsListLines)}
${cli('`confi docs pending --due-within 3d`', r.cli.pending, r.cli.pendingLines)}
${cli('`confi reminders run --dry-run`', r.cli.reminders, r.cli.remindersLines)}

| Access log | figure | target |
| --- | --- | --- |
| \`confi docs verify\` (chain, tree, checkpoint; wall time with start-up) | ${r.verify ? `${r.verify.rows.toLocaleString('en')} rows in ${r.verify.seconds.toFixed(1)} s = **${Math.round(r.verify.rate).toLocaleString('en')} rows/s**` : 'skipped this run (BENCH_VERIFY=0)'} | ≥ 300,000 rows/s: ${r.verify ? mark(r.verify.rate >= 300_000) : '—'} |
| Inclusion proof of a random row, median / p99 / max of 200 | ${ms(r.proofs.median)} / **${ms(r.proofs.p99)}** / ${ms(r.proofs.max)} | ≤ 50 ms: ${mark(r.proofs.p99 <= 50)} |
| Database size | ${(r.bytes / 1e9).toFixed(2)} GB = **${(perMillion / 1e6).toFixed(0)} MB per million log rows** | reported |

| LGPD | figure | target |
| --- | --- | --- |
| \`confi privacy export --user admin1\` (median of 3, wall time with start-up): a person's ${r.privacy.rows.toLocaleString('en')} log rows (${r.privacy.format1.toLocaleString('en')} of format 1) | **${r.privacy.seconds.toFixed(2)} s** | < 10 s for 100,000 rows in 10,000,000: ${mark(r.privacy.seconds < 10)} |
${eraseBlock(r.privacyErase)}

${retentionMarkdown(r.retention)}
<details><summary>Query plans of the statements that took 1 ms or more, or ran per document (${r.plans.filter(mattered).length} of ${r.plans.length})</summary>

${r.plans.filter(mattered).map(planBlock).join('\n\n')}

</details>`
}

for (const backend of selectedBackends()) {
  say(`${backend}: ${describe(sizes)}${SMOKE ? ' (smoke run)' : ''}`)
  if (process.env.BENCH_FILL_ONLY === '1') {
    const database = backend === 'sqlite' ? await sqliteDatabase() : await postgresDatabase()
    await database.drop()
    continue
  }
  const result = await backendBench(backend)
  const { plans, ...figures } = result
  say(`${backend}: ${JSON.stringify({ pages: Object.fromEntries(Object.entries(figures.pages).map(([k, v]) => [k, v && `p50 ${v.p50.toFixed(1)} p99 ${v.p99.toFixed(1)} cpu ${v.cpu?.toFixed(2)}`])), cli: figures.cli, verify: figures.verify && Math.round(figures.verify.rate), proof: +figures.proofs.p99.toFixed(1), privacyExport: figures.privacy, privacyErase: figures.privacyErase })}`)
  if (process.env.BENCH_REPORT !== '0') updateReport(`bench:scale:${backend}`, markdown(result), figures)
}
agent.destroy()

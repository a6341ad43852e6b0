// `npm run bench:portal`: the gated download (session lookup, permission check, access-log
// append, 100 KB file) against a bare Hono route on the same server stack serving the same
// file, and the p99 of downloads while a burst of logins runs (issue 4 part 8, issue 5 part 5).
//
// Runs once per backend: SQLite always, PostgreSQL too when CONFI_TEST_DATABASE_URL names a
// server (scripts/with-postgres.sh, i.e. `npm run bench:pg`), on a fresh database each time.
// Load comes from separate processes (bench/load-client.mjs) on 127.0.0.1; every phase is
// bounded in time. Results go to docs/performance.md (bench/report.mjs).
//
// Knobs: BENCH_SECONDS (default 5 a phase; fewer marks the run as a smoke run),
// BENCH_CONCURRENCY (16), BENCH_BACKENDS=sqlite|postgres, BENCH_REPORT=0 writes no report.
import { execFile } from 'node:child_process'
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
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
import { startAccessLogWriter } from '../dist/core/access-log/commit/commit-thread.js'
import { createPasswordPool } from '../dist/core/identity/password-pool.js'
import { createSession } from '../dist/core/identity/sessions.js'
import { startPortal } from '../dist/portal/server.js'
import { BACKEND_NAMES, selectedBackends, smokeNote, updateReport } from './report.mjs'
import { createBenchDatabase, serverVersion } from './postgres.mjs'

const run = promisify(execFile)
const loadClient = fileURLToPath(new URL('./load-client.mjs', import.meta.url))
const FULL_SECONDS = 5
const SECONDS = Number(process.env.BENCH_SECONDS ?? FULL_SECONDS)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const SMOKE = SECONDS < FULL_SECONDS
const PASSWORD = 'senha-do-bench-1'
const BENCH = accountant('cli:bench')
const LOGIN_CONCURRENCY = 8

async function load(url, { seconds = SECONDS, concurrency = CONCURRENCY, method = 'GET', cookie = '', body = '' } = {}) {
  const { stdout } = await run(process.execPath, [loadClient, url, String(seconds), String(concurrency), method, cookie, body], {
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout)
}

async function portalBench(backend) {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-'))
  const pgDatabase = backend === 'postgres' ? await createBenchDatabase(process.env.CONFI_TEST_DATABASE_URL) : null
  // The same configuration path as `confi serve`: DATABASE_URL selects PostgreSQL, CONFI_DB SQLite.
  const config = resolveConfig({
    env: pgDatabase
      ? { DATABASE_URL: pgDatabase.url, CONFI_DATA_DIR: join(dir, 'data'), CONFI_PG_POOL_SIZE: process.env.CONFI_PG_POOL_SIZE }
      : { CONFI_DB: join(dir, 'confi.db') },
    cwd: dir,
  })
  const open = await openDatabase(config.database, { create: true })
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })]
  if (pgDatabase) cleanups.unshift(() => pgDatabase.drop())
  cleanups.unshift(() => open.close())
  try {
    await applySchema(open)
    const db = open.db
    const key = loadSecretKey(config.secretFile, { create: true })
    await initFirm(db, { firmName: 'Bench', baseUrl: 'http://127.0.0.1' })
    const store = createDiskFileStore(join(config.dataDir, 'files'))
    const hasher = createPasswordPool(2)
    cleanups.unshift(() => hasher.close())
    const client = await addClient(db, key, BENCH, { name: 'Bench Ltda', taxId: '11.222.333/0001-81' })
    const user = await addUser(db, BENCH, { clientId: client.id, username: 'bench', name: 'Bench', password: PASSWORD, role: 'admin', active: true }, hasher)
    // One user per login connection (load-client's {worker}): the throttle reserves each attempt
    // per user and address, so eight parallel logins of one user would mostly get 429 without
    // hashing anything, and the burst would not load bcrypt as a real morning rush does.
    await Promise.all(
      Array.from({ length: LOGIN_CONCURRENCY }, (_, i) =>
        addUser(db, BENCH, { clientId: client.id, username: `login${i}`, name: `Login ${i}`, password: PASSWORD, role: 'collaborator', active: true }, hasher),
      ),
    )
    const filePath = join(dir, 'file.pdf')
    writeFileSync(filePath, Buffer.alloc(100 * 1024, 0x41))
    const doc = await addDocument(db, store, BENCH, { clientId: client.id, title: 'Arquivo', category: 'fiscal', files: [{ path: filePath }] })
    const attachment = doc.attachments[0]
    const { token } = await createSession(db, { userId: user.id, scope: 'area' }, { idleMinutes: 60, absoluteHours: 12 })
    const cookie = `confi_session=${token}`

    // The writer of `confi serve`: a commit thread on SQLite (docs/decisions.md, issue 13).
    const accessLog = startAccessLogWriter(db, config.database)
    cleanups.unshift(() => accessLog.close())
    const portal = await startPortal(
      { db, key, store, config, hasher, accessLog, logger: { error: (m, e) => console.error(m, e) } },
      { port: 0, host: '127.0.0.1' },
    )
    cleanups.unshift(() => portal.close())

    // The baseline: the same @hono/node-server stack, no session, no check, no log.
    const bare = new Hono()
    bare.get('/stream', () => new Response(Readable.toWeb(createReadStream(filePath)), { headers: { 'content-type': 'application/pdf' } }))
    bare.get('/read', async () => new Response(await readFile(filePath), { headers: { 'content-type': 'application/pdf' } }))
    const bareServer = await new Promise((resolve) => {
      const s = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    cleanups.unshift(() => new Promise((resolve) => bareServer.close(resolve)))
    const bareUrl = `http://127.0.0.1:${bareServer.address().port}`
    const gatedUrl = `${portal.url}/documents/${doc.id}/files/${attachment.id}`

    console.log(`bench:portal ${backend} — ${cpus().length} cores, ${SECONDS} s per phase, ${CONCURRENCY} connections`)
    const load1 = loadavg()[0]
    // Warm-up: JIT, statement cache, connection pool, file cache.
    await load(gatedUrl, { seconds: 1, cookie })
    await load(`${bareUrl}/read`, { seconds: 1 })

    const bareStream = await load(`${bareUrl}/stream`)
    const bareRead = await load(`${bareUrl}/read`)
    const gated = await load(gatedUrl, { cookie })
    const loginBody = `username=login{worker}&password=${PASSWORD}`
    const [during, logins] = await Promise.all([
      load(gatedUrl, { cookie }),
      load(`${portal.url}/login`, { method: 'POST', body: loginBody, concurrency: LOGIN_CONCURRENCY }),
    ])
    await accessLog.flush()
    const rows = await db.selectFrom('access_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()
    const version = backend === 'postgres' ? await serverVersion(pgDatabase.url) : ''
    return { bareStream, bareRead, gated, during, logins, rows: Number(rows.n), load: load1, version }
  } finally {
    for (const cleanup of cleanups) await cleanup()
  }
}

const fmt = (r) => `${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   errors ${r.errors}   statuses ${JSON.stringify(r.statuses)}`

function markdown(backend, r) {
  const { bareStream, bareRead, gated, during, logins } = r
  const bareBest = Math.max(bareStream.rps, bareRead.rps)
  const ratio = gated.rps / bareBest
  const p99Ratio = during.p99 / gated.p99
  const errors = gated.errors + during.errors + logins.errors
  const database = backend === 'sqlite'
    ? 'SQLite with `synchronous=FULL`'
    : `PostgreSQL ${r.version} (the throwaway cluster of scripts/with-postgres.sh: \`fsync=off\`, on the same machine; pool of ${process.env.CONFI_PG_POOL_SIZE || 10} connections)`
  const text = `### ${BACKEND_NAMES[backend]}
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version},
${database}, ${SECONDS} s per phase, ${CONCURRENCY} keep-alive connections; load average at the start: ${r.load.toFixed(1)}.

| phase | requests/s | p50 ms | p99 ms |
|---|---:|---:|---:|
| bare route, streamed | ${bareStream.rps.toFixed(0)} | ${bareStream.p50.toFixed(1)} | ${bareStream.p99.toFixed(1)} |
| bare route, read whole | ${bareRead.rps.toFixed(0)} | ${bareRead.p50.toFixed(1)} | ${bareRead.p99.toFixed(1)} |
| gated download | ${gated.rps.toFixed(0)} | ${gated.p50.toFixed(1)} | ${gated.p99.toFixed(1)} |
| gated download during a login burst | ${during.rps.toFixed(0)} | ${during.p50.toFixed(1)} | ${during.p99.toFixed(1)} |
| logins (${LOGIN_CONCURRENCY} users in parallel, bcrypt cost 11 on 2 worker threads) | ${logins.rps.toFixed(1)} | ${logins.p50.toFixed(1)} | ${logins.p99.toFixed(1)} |

- Gated throughput is **${(ratio * 100).toFixed(0)}%** of the better bare route (target ≥ 50%: ${ratio >= 0.5 ? 'meets the target' : 'MISSES the target'}).
- p99 of downloads during the login burst is **${p99Ratio.toFixed(2)}×** the p99 without it (target ≤ 2×: ${p99Ratio <= 2 ? 'meets the target' : 'MISSES the target'}).
- Errors: ${errors}; access-log rows written: ${r.rows}; login statuses ${JSON.stringify(logins.statuses)}.`
  return {
    text,
    data: {
      date: new Date().toISOString().slice(0, 10),
      seconds: SECONDS,
      smoke: SMOKE,
      bare: bareBest,
      gated: { rps: gated.rps, p99: gated.p99 },
      during: { rps: during.rps, p99: during.p99 },
      ratio,
      p99Ratio,
      errors,
    },
  }
}

for (const backend of selectedBackends()) {
  const r = await portalBench(backend)
  console.log(
    [
      `bare route, streamed      ${fmt(r.bareStream)}`,
      `bare route, read whole    ${fmt(r.bareRead)}`,
      `gated download            ${fmt(r.gated)}`,
      `gated during login burst  ${fmt(r.during)}`,
      `login burst (${LOGIN_CONCURRENCY} parallel)  ${fmt(r.logins)}`,
    ].join('\n'),
  )
  const { text, data } = markdown(backend, r)
  console.log(`\n${text}\n`)
  if (process.env.BENCH_REPORT !== '0') updateReport(`bench:portal:${backend}`, text, data)
}

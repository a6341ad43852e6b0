// `npm run bench:portal`: the gated download (session lookup, permission check, access-log
// append, 100 KB file) against a bare Hono route on the same server stack serving the same
// file, and the p99 of downloads while a burst of logins runs. Load comes from separate
// processes (bench/load-client.mjs) on 127.0.0.1; every phase is bounded in time.
import { execFile } from 'node:child_process'
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { applySchema, openDatabase } from '../dist/core/db.js'
import { resolveConfig } from '../dist/core/config.js'
import { loadSecretKey } from '../dist/core/tokens.js'
import { initFirm } from '../dist/core/firm.js'
import { addClient } from '../dist/core/clients.js'
import { addUser } from '../dist/core/users.js'
import { addDocument } from '../dist/core/documents.js'
import { createDiskFileStore } from '../dist/core/file-store.js'
import { createAccessLogWriter } from '../dist/core/access-log.js'
import { createPasswordPool } from '../dist/core/password-pool.js'
import { createSession } from '../dist/core/sessions.js'
import { startPortal } from '../dist/portal/server.js'

const run = promisify(execFile)
const loadClient = fileURLToPath(new URL('./load-client.mjs', import.meta.url))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const PASSWORD = 'senha-do-bench-1'

async function load(url, { seconds = SECONDS, concurrency = CONCURRENCY, method = 'GET', cookie = '', body = '' } = {}) {
  const { stdout } = await run(process.execPath, [loadClient, url, String(seconds), String(concurrency), method, cookie, body], {
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout)
}

const dir = mkdtempSync(join(tmpdir(), 'confi-bench-'))
const config = resolveConfig({ env: { CONFI_DB: join(dir, 'confi.db') }, cwd: dir })
const open = await openDatabase(config.database, { create: true })
await applySchema(open)
const db = open.db
const key = loadSecretKey(config.secretFile, { create: true })
await initFirm(db, { firmName: 'Bench', baseUrl: 'http://127.0.0.1' })
const store = createDiskFileStore(join(config.dataDir, 'files'))
const hasher = createPasswordPool(2)
const client = await addClient(db, key, 'cli:bench', { name: 'Bench Ltda', taxId: '11.222.333/0001-81' })
const user = await addUser(db, 'cli:bench', { clientId: client.id, username: 'bench', name: 'Bench', password: PASSWORD, role: 'admin', active: true }, hasher)
const filePath = join(dir, 'file.pdf')
writeFileSync(filePath, Buffer.alloc(100 * 1024, 0x41))
const doc = await addDocument(db, store, 'cli:bench', { clientId: client.id, title: 'Arquivo', category: 'fiscal', files: [{ path: filePath }] })
const attachment = doc.attachments[0]
const { token } = await createSession(db, { userId: user.id, scope: 'area' }, { idleMinutes: 60, absoluteHours: 12 })
const cookie = `confi_session=${token}`

const accessLog = createAccessLogWriter(db)
const portal = await startPortal(
  { db, key, store, config, hasher, accessLog, logger: { error: (m, e) => console.error(m, e) } },
  { port: 0, host: '127.0.0.1' },
)

// The baseline: the same @hono/node-server stack, no session, no check, no log.
const bare = new Hono()
bare.get('/stream', () => new Response(Readable.toWeb(createReadStream(filePath)), { headers: { 'content-type': 'application/pdf' } }))
bare.get('/read', async () => new Response(await readFile(filePath), { headers: { 'content-type': 'application/pdf' } }))
const bareServer = await new Promise((resolve) => {
  const s = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
})
const bareUrl = `http://127.0.0.1:${bareServer.address().port}`
const gatedUrl = `${portal.url}/documents/${doc.id}/files/${attachment.id}`

console.log(`confi bench:portal — ${cpus().length} cores, ${SECONDS} s per phase, ${CONCURRENCY} connections`)
// Warm-up: JIT, statement cache, file cache.
await load(gatedUrl, { seconds: 1, cookie })
await load(`${bareUrl}/read`, { seconds: 1 })

const bareStream = await load(`${bareUrl}/stream`)
const bareRead = await load(`${bareUrl}/read`)
const gated = await load(gatedUrl, { cookie })
const loginBody = `username=bench&password=${PASSWORD}`
const [gatedDuringLogins, logins] = await Promise.all([
  load(gatedUrl, { cookie }),
  load(`${portal.url}/login`, { method: 'POST', body: loginBody, concurrency: 8 }),
])
const rows = await db.selectFrom('access_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()

const fmt = (r) => `${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   errors ${r.errors}   statuses ${JSON.stringify(r.statuses)}`
const baseline = Math.max(bareStream.rps, bareRead.rps)
const ratio = gated.rps / baseline
const p99Ratio = gatedDuringLogins.p99 / gated.p99
const lines = [
  `bare route, streamed      ${fmt(bareStream)}`,
  `bare route, read whole    ${fmt(bareRead)}`,
  `gated download            ${fmt(gated)}`,
  `gated during login burst  ${fmt(gatedDuringLogins)}`,
  `login burst (8 parallel)  ${fmt(logins)}`,
  '',
  `gated / best bare throughput: ${(ratio * 100).toFixed(0)}% (target ≥ 50%) ${ratio >= 0.5 ? 'PASS' : 'FAIL'}`,
  `p99 during logins / p99 without: ${p99Ratio.toFixed(2)}× (target ≤ 2×) ${p99Ratio <= 2 ? 'PASS' : 'FAIL'}`,
  `access-log rows written: ${rows.n}`,
]
console.log(lines.join('\n'))

const report = `# Portal performance

Measured by \`npm run bench:portal\` (bench/portal.mjs) on ${new Date().toISOString().slice(0, 10)}:
${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, SQLite with
\`synchronous=FULL\`, ${SECONDS} s per phase, ${CONCURRENCY} keep-alive connections from a separate
load process on 127.0.0.1 (bench/load-client.mjs). Other work on the machine adds noise of 5–20%.

The gated download is \`GET /documents/:id/files/:attachmentId\` with a session cookie: session
lookup, user and visibility queries, permission check, one access-log row committed (group commit)
before the first byte, a 100 KB file. The bare routes run on the same @hono/node-server stack with
no session, check or log: one streams the file, one reads it whole.

| phase | requests/s | p50 ms | p99 ms |
|---|---:|---:|---:|
| bare route, streamed | ${bareStream.rps.toFixed(0)} | ${bareStream.p50.toFixed(1)} | ${bareStream.p99.toFixed(1)} |
| bare route, read whole | ${bareRead.rps.toFixed(0)} | ${bareRead.p50.toFixed(1)} | ${bareRead.p99.toFixed(1)} |
| gated download | ${gated.rps.toFixed(0)} | ${gated.p50.toFixed(1)} | ${gated.p99.toFixed(1)} |
| gated download during a login burst | ${gatedDuringLogins.rps.toFixed(0)} | ${gatedDuringLogins.p50.toFixed(1)} | ${gatedDuringLogins.p99.toFixed(1)} |
| logins (8 in parallel, bcrypt cost 11 on 2 worker threads) | ${logins.rps.toFixed(1)} | ${logins.p50.toFixed(1)} | ${logins.p99.toFixed(1)} |

- Gated throughput is **${(ratio * 100).toFixed(0)}%** of the better bare route (target ≥ 50%).
- p99 of downloads during the login burst is **${p99Ratio.toFixed(2)}×** the p99 without it (target ≤ 2×).
- Errors: ${gated.errors + gatedDuringLogins.errors + logins.errors}; access-log rows written: ${rows.n}.

What keeps the gated route close to the bare one: prepared statements cached by SQL text (db.ts),
firm options reused for one second, \`last_seen_at\` touched at most once a minute, access-log
rows of concurrent requests committed in one transaction, files up to 1 MB read whole, and bcrypt
on two worker threads so logins do not stall the event loop.
`
if (process.env.BENCH_REPORT !== '0') {
  writeFileSync(fileURLToPath(new URL('../docs/performance-portal.md', import.meta.url)), report)
  console.log('wrote docs/performance-portal.md')
}

await portal.close()
await new Promise((resolve) => bareServer.close(resolve))
await accessLog.flush()
await hasher.close()
await open.close()
rmSync(dir, { recursive: true, force: true })

// npm run bench:log — access-log export and append benchmark (issue 3, SPEC §7).
//
// Fills a temporary database with 1,000,000 access-log rows (one transaction, a valid chain),
// exports them to CSV with `confi docs log` and, on the same database, with the sqlite3 command
// line (`.mode csv`, the same columns) as the baseline; then measures recordAccess's append rate
// with synchronous=FULL, one append per transaction and through the group-commit writer.
// Results go to docs/performance-log.md.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { accessLogHash, GENESIS_HASH, createAccessLogWriter, recordAccess } from '../dist/core/access-log.js'
import { applySchema, openDatabase } from '../dist/core/db.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
// BENCH_KEEP=1 keeps the filled database for profiling; BENCH_SKIP_APPENDS=1 skips the append rates.

if (spawnSync('sqlite3', ['-version']).error) {
  console.error('bench: the sqlite3 command line is needed for the baseline: apt-get install -y sqlite3')
  process.exit(1)
}

const dir = mkdtempSync(join(tmpdir(), 'confi-bench-'))
const dbPath = join(dir, 'confi.db')
const env = { ...process.env, CONFI_DB: dbPath, CONFI_DATA_DIR: join(dir, 'data'), NO_COLOR: '1' }

// Best of the runs: on a shared machine other jobs only ever add time, to either side.
function best(values) {
  return Math.min(...values)
}

async function createDatabase() {
  const open = await openDatabase({ kind: 'sqlite', path: dbPath }, { create: true })
  await applySchema(open)
  await open.close()
  const raw = new BetterSqlite3(dbPath)
  const now = new Date().toISOString()
  raw.transaction(() => {
    raw.prepare(`INSERT INTO firm_options (id, firm_name, base_url, updated_at) VALUES (1, 'Bench', 'http://localhost:3000', ?)`).run(now)
    for (let c = 1; c <= 20; c++) {
      raw.prepare('INSERT INTO clients (id, name, tax_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run(c, `Empresa ${c}, Comércio "Ltda"`, String(10_000_000_000_000 + c), now, now)
    }
    for (let d = 1; d <= 200; d++) {
      raw.prepare(`INSERT INTO documents (id, client_id, title, category, created_at, created_by) VALUES (?, ?, ?, 'fiscal', ?, 'bench')`)
        .run(d, ((d - 1) % 20) + 1, `DAS ${d}/2026`, now)
      raw.prepare(`INSERT INTO attachments (id, document_id, file_name, media_type, size, sha256, storage_key) VALUES (?, ?, ?, 'application/pdf', 1, ?, ?)`)
        .run(d, d, `das-${d}.pdf`, 'a'.repeat(64), `aa/${'a'.repeat(62)}`)
    }
  })()
  return raw
}

function fill(raw) {
  const insert = raw.prepare(`INSERT INTO access_log (id, at, document_id, attachment_id, client_id, user_id,
    username, user_name, channel, delivery_id, ip, port, user_agent, action, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?, NULL, ?, ?, ?, ?, ?, ?)`)
  const agents = [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
    'WhatsApp/2.23.20.0',
  ]
  const channels = ['portal', 'link', 'email', 'whatsapp']
  const start = Date.UTC(2026, 0, 1)
  let prev = GENESIS_HASH
  raw.transaction(() => {
    for (let id = 1; id <= ROWS; id++) {
      const document = (id % 200) + 1
      const download = id % 3 === 0
      const row = {
        id,
        at: new Date(start + id * 1000).toISOString(),
        document_id: document,
        attachment_id: download ? document : null,
        client_id: ((document - 1) % 20) + 1,
        user_id: null,
        username: null,
        user_name: null,
        channel: channels[id % 4],
        delivery_id: null,
        ip: `203.0.113.${id % 250}`,
        port: 40000 + (id % 20000),
        user_agent: agents[id % 3],
        action: download ? 'download' : 'view',
      }
      const hash = accessLogHash(row, prev)
      insert.run(id, row.at, row.document_id, row.attachment_id, row.client_id, row.channel, row.ip, row.port,
        row.user_agent, row.action, prev, hash)
      prev = hash
    }
  })()
  raw.pragma('wal_checkpoint(TRUNCATE)')
}

/** Runs a command, returns wall seconds and peak RSS (MB) from /usr/bin/time -v. */
function timed(command, args, stdoutFile) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-v', command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    const chunks = []
    child.stdout.on('data', (c) => stdoutFile && chunks.push(c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      if (code !== 0) return reject(new Error(`${command} exited ${code}: ${stderr}`))
      if (stdoutFile) writeFileSync(stdoutFile, Buffer.concat(chunks))
      const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) / 1024
      resolve({ seconds, rss })
    })
  })
}

const BASELINE_SQL = `SELECT a.id, a.at, c.tax_id AS client_tax_id, c.name AS client_name, a.document_id,
  d.title AS document_title, t.file_name AS attachment, a.channel, a.username, a.user_name, a.ip,
  a.user_agent, a.action, a.hash
  FROM access_log a JOIN clients c ON c.id = a.client_id JOIN documents d ON d.id = a.document_id
  LEFT JOIN attachments t ON t.id = a.attachment_id ORDER BY a.id;`

async function exportRuns() {
  const confiOut = join(dir, 'confi.csv')
  const sqliteOut = join(dir, 'sqlite.csv')
  const confi = []
  const sqlite = []
  for (let run = 0; run < RUNS; run++) {
    rmSync(confiOut, { force: true })
    confi.push(await timed(process.execPath, [join(root, 'bin/confi'), 'docs', 'log', '--format', 'csv', '--output', confiOut]))
    sqlite.push(await timed('sqlite3', ['-readonly', '-csv', '-header', dbPath, BASELINE_SQL], sqliteOut))
  }
  return {
    confi: { seconds: best(confi.map((r) => r.seconds)), rss: Math.max(...confi.map((r) => r.rss)), bytes: statSync(confiOut).size },
    sqlite: { seconds: best(sqlite.map((r) => r.seconds)), rss: Math.max(...sqlite.map((r) => r.rss)), bytes: statSync(sqliteOut).size },
    runs: { confi: confi.map((r) => r.seconds.toFixed(2)), sqlite: sqlite.map((r) => r.seconds.toFixed(2)) },
  }
}

async function appendRates() {
  const open = await openDatabase({ kind: 'sqlite', path: dbPath })
  const entry = { documentId: 1, attachmentId: 1, clientId: 1, channel: 'portal', action: 'download', ip: '203.0.113.1', port: 51000, userAgent: 'bench' }
  const singles = 2000
  let started = performance.now()
  for (let i = 0; i < singles; i++) await recordAccess(open.db, entry)
  const single = singles / ((performance.now() - started) / 1000)
  const writer = createAccessLogWriter(open.db)
  const total = 20_000
  const concurrency = 64
  started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await writer.record(entry)
    }),
  )
  const grouped = total / ((performance.now() - started) / 1000)
  await open.close()
  return { single, grouped, concurrency }
}

try {
  console.log(`bench: filling ${ROWS.toLocaleString('en')} access-log rows in ${dir}`)
  const raw = await createDatabase()
  let started = performance.now()
  fill(raw)
  raw.close()
  const fillSeconds = (performance.now() - started) / 1000
  console.log(`bench: filled in ${fillSeconds.toFixed(1)} s; exporting (${RUNS} runs each)`)
  const load = loadavg()[0]
  const exp = await exportRuns()
  const ratio = exp.confi.seconds / exp.sqlite.seconds
  console.log(`bench: measuring append rates`)
  const rates = process.env.BENCH_SKIP_APPENDS ? { single: 0, grouped: 0, concurrency: 0 } : await appendRates()
  const verdict = (ok) => (ok ? 'meets the target' : 'MISSES the target')
  const report = `# Performance: access-log export and appends

Measured by \`npm run bench:log\` (bench/log-export.mjs) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version},
${ROWS.toLocaleString('en')} rows, best of ${RUNS} runs (load average at the start: ${load.toFixed(1)} on
this 2-core machine, shared with other jobs: expect 5–20% noise, more under load).

| Export to CSV (${ROWS.toLocaleString('en')} rows) | time | peak RSS | output |
| --- | --- | --- | --- |
| \`confi docs log --format csv --output FILE\` | ${exp.confi.seconds.toFixed(2)} s | ${exp.confi.rss.toFixed(0)} MB | ${(exp.confi.bytes / 1e6).toFixed(0)} MB |
| \`sqlite3 -csv\` (same join and columns), baseline | ${exp.sqlite.seconds.toFixed(2)} s | ${exp.sqlite.rss.toFixed(0)} MB | ${(exp.sqlite.bytes / 1e6).toFixed(0)} MB |

- Ratio confi / sqlite3: **${ratio.toFixed(2)}** (target ≤ 2.5: ${verdict(ratio <= 2.5)}).
- confi's peak RSS: **${exp.confi.rss.toFixed(0)} MB** (target < 150 MB: ${verdict(exp.confi.rss < 150)}).
- Each run (s), alternating: confi ${exp.runs.confi.join(', ')}; sqlite3 ${exp.runs.sqlite.join(', ')}.
  SPEC §7 measured the sqlite3 export of 1M rows at 0.63 s on a quiet machine; the baseline here
  shows how loaded this one was.
- confi's time includes starting Node and the CLI, opening the database, and the atomic
  \`--output\` (fsync + rename); its CSV also neutralises formula cells.

How: the rows are formatted inside SQL (one CSV line or \`json_object\` per row), and a batch of
400 lines (about 100 KB) crosses into JavaScript as one string (\`group_concat\`), keyset-paginated by id on a
separate read-only connection (SPEC §7). Memory stays flat whatever the row count.

| Append (\`synchronous=FULL\`) | rows/s |
| --- | --- |
| \`recordAccess\`, one transaction per row | ${rates.single.toFixed(0)} |
| \`createAccessLogWriter\`, ${rates.concurrency} concurrent callers (group commit) | ${rates.grouped.toFixed(0)} |

Each append takes the chain lock, reads the head hash and inserts; one row per transaction is
bound by the fsync of each commit; group commit shares one fsync between the rows waiting.
`
  if (!process.env.BENCH_SKIP_APPENDS) writeFileSync(join(root, 'docs/performance-log.md'), report)
  console.log(report)
} finally {
  if (process.env.BENCH_KEEP) console.log(`bench: kept ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}

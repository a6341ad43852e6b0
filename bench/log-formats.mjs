// npm run bench:log (after bench/log-export.mjs) — access-log format 2 against format 1 in the same
// run (issue 19, "v2 costs at most 15% on each"; docs/performance.md).
//
// On SQLite, the same rows twice, in two fresh databases on the same machine: once written in
// format 1 (the personal values in the row), once in format 2 (commitments in the row, the values
// and salts beside it in access_log_personal). For each: the append rate through the group-commit
// writer, the export (`confi docs log`, CSV and NDJSON, with the sqlite3 command line's export of
// the same columns as the baseline) and `confi docs verify` (chain, tree, and for format 2 every
// commitment). Each figure is the median of the runs, with the spread (min–max); the runs of the
// two formats alternate, so a neighbour's burst weighs on both.
//
// Knobs: BENCH_FORMAT_ROWS (200,000), BENCH_RUNS (5), BENCH_REPORT=0 writes no report.
import { spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { createAccessLogWriter } from '../dist/core/access-log/chain/append.js'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { smokeNote, updateReport } from './report.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FULL_ROWS = 200_000
const ROWS = Number(process.env.BENCH_FORMAT_ROWS ?? FULL_ROWS)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SMOKE = ROWS < FULL_ROWS || RUNS < 3
const TARGET = 1.15

const CLIENTS = 20
const DOCUMENTS = 200
const AGENTS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36', 'WhatsApp/2.23.20.0']
const CHANNELS = ['portal', 'link', 'email', 'whatsapp']

/** Access `i` of the bench: half by a logged-in user, every one with an IP, port and user agent. */
function entry(i) {
  const document = (i % DOCUMENTS) + 1
  const download = i % 3 === 0
  return {
    documentId: document,
    attachmentId: download ? document : null,
    clientId: ((document - 1) % CLIENTS) + 1,
    user: i % 2 === 0 ? { id: (i % 50) + 1, username: `usuario${i % 50}`, name: `Usuária Número ${i % 50}` } : null,
    channel: CHANNELS[i % 4],
    ip: `203.0.113.${i % 250}`,
    port: 40000 + (i % 20000),
    userAgent: AGENTS[i % 2],
    action: download ? 'download' : 'view',
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const spread = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`

/** A fresh database with the clients, documents and files the rows point at. */
async function freshDatabase(dir) {
  const path = join(dir, 'confi.db')
  const open = await openDatabase({ kind: 'sqlite', path }, { create: true })
  await applySchema(open)
  await open.close()
  const raw = new BetterSqlite3(path)
  const now = new Date().toISOString()
  raw.transaction(() => {
    raw.prepare(`INSERT INTO firm_options (id, firm_name, base_url, updated_at) VALUES (1, 'Bench', 'http://localhost:3000', ?)`).run(now)
    for (let c = 1; c <= CLIENTS; c++) {
      raw.prepare('INSERT INTO clients (id, name, tax_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(c, `Empresa ${c}, Comércio "Ltda"`, String(10_000_000_000_000 + c), now, now)
    }
    for (let u = 1; u <= 50; u++) {
      raw.prepare(`INSERT INTO client_users (id, client_id, username, username_key, name, role, status, origin, created_at) VALUES (?, 1, ?, ?, ?, 'admin', 'active', 'cli', ?)`)
        .run(u, `usuario${u - 1}`, `usuario${u - 1}`, `Usuária Número ${u - 1}`, now)
    }
    for (let d = 1; d <= DOCUMENTS; d++) {
      raw.prepare(`INSERT INTO documents (id, client_id, title, category, created_at, created_by) VALUES (?, ?, ?, 'fiscal', ?, 'bench')`).run(d, ((d - 1) % CLIENTS) + 1, `DAS ${d}/2026`, now)
      raw.prepare(`INSERT INTO attachments (id, document_id, file_name, media_type, size, sha256, storage_key) VALUES (?, ?, ?, 'application/pdf', 1, ?, ?)`).run(d, d, `das-${d}.pdf`, 'a'.repeat(64), `aa/${'a'.repeat(62)}`)
    }
  })()
  raw.close()
  return path
}

/** Appends `count` rows through the group-commit writer, `callers` at once; rows per second. */
async function append(path, format, from, count, callers = 64) {
  const open = await openDatabase({ kind: 'sqlite', path })
  try {
    const writer = createAccessLogWriter(open.db, { format })
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: callers }, async () => {
      while (next < count) await writer.record(entry(from + next++))
    }))
    return count / ((performance.now() - started) / 1000)
  } finally {
    await open.close()
  }
}

function timed(command, args, env, stdoutFile) {
  return new Promise((resolve, reject) => {
    const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore'
    const started = process.hrtime.bigint()
    const child = spawn(command, args, { env, stdio: ['ignore', out, 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => {
      if (stdoutFile) closeSync(out)
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`))
      resolve(Number(process.hrtime.bigint() - started) / 1e9)
    })
  })
}

// The CSV contract's columns, each personal value from where its format keeps it.
const BASELINE_SQL = `SELECT a.id, a.at, c.tax_id, c.name, a.document_id, d.title, t.file_name, a.channel,
  coalesce(a.username, p.username), coalesce(a.user_name, p.user_name), coalesce(a.ip, p.ip),
  coalesce(a.user_agent, p.user_agent), a.action, a.hash
  FROM access_log a JOIN clients c ON c.id = a.client_id JOIN documents d ON d.id = a.document_id
  LEFT JOIN attachments t ON t.id = a.attachment_id LEFT JOIN access_log_personal p ON p.id = a.id ORDER BY a.id;`

async function measure() {
  const sides = {}
  for (const format of [1, 2]) {
    const dir = mkdtempSync(join(tmpdir(), `confi-bench-v${format}-`))
    const path = await freshDatabase(dir)
    const env = { ...process.env, CONFI_DB: path, CONFI_DATA_DIR: join(dir, 'data'), NO_COLOR: '1' }
    delete env.DATABASE_URL
    console.log(`bench:log formats: filling ${ROWS.toLocaleString('en')} rows of format ${format}`)
    // Filled by 1,000 callers at once: groups of up to 1,000 rows, one fsync each.
    const fill = await append(path, format, 0, ROWS, 1000)
    sides[format] = { dir, path, env, fill, appends: [], csv: [], ndjson: [], baseline: [], verify: [] }
  }
  const confi = (side, args, out) => timed(process.execPath, [join(root, 'bin/confi'), ...args], side.env, out)
  for (let run = 0; run < RUNS; run++) {
    for (const format of [1, 2]) {
      const side = sides[format]
      const out = join(side.dir, 'out')
      side.csv.push(await confi(side, ['docs', 'log', '--format', 'csv', '--output', out]))
      side.ndjson.push(await confi(side, ['docs', 'log', '--format', 'ndjson', '--output', out]))
      side.baseline.push(await timed('sqlite3', ['-readonly', '-csv', '-header', side.path, BASELINE_SQL], side.env, out))
      side.verify.push(await confi(side, ['docs', 'verify', '--json']))
    }
  }
  // Appends last, on the filled logs (5,000 rows a run), so the exports and verifications saw ROWS rows.
  for (let run = 0; run < RUNS; run++) {
    for (const format of [1, 2]) sides[format].appends.push(await append(sides[format].path, format, ROWS + run * 5000, 5000))
  }
  for (const side of Object.values(sides)) rmSync(side.dir, { recursive: true, force: true })
  return sides
}

function markdown(sides, load) {
  const row = (label, unit, pick, higherIsBetter) => {
    const [a, b] = [pick(sides[1]), pick(sides[2])]
    const [ma, mb] = [median(a), median(b)]
    const cost = higherIsBetter ? ma / mb : mb / ma
    return `| ${label} | ${ma.toFixed(2)} ${unit} (${spread(a)}) | ${mb.toFixed(2)} ${unit} (${spread(b)}) | ${((cost - 1) * 100).toFixed(1)}% ${cost <= TARGET ? '' : '**MISSES the target**'} |`
  }
  const rate = (seconds) => seconds.map((s) => ROWS / s / 1000)
  const ratio = (side, key) => side[key].map((s, i) => s / side.baseline[i])
  return `### Format 2 against format 1 (SQLite)
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${ROWS.toLocaleString('en')} rows per format
(half by a logged-in user, all with IP, port and user agent: five commitments a row in format 2), median of ${RUNS} runs
(min–max in brackets), the formats alternating; load average at the start: ${load.toFixed(1)}. Repeat with
\`npm run build && node bench/log-formats.mjs\` (part of \`npm run bench:log\`). Target: format 2 costs at most 15% more.

| | format 1 | format 2 | cost of format 2 |
| --- | --- | --- | --- |
${row('Append, group commit, 64 callers (thousand rows/s)', 'k/s', (s) => s.appends.map((r) => r / 1000), true)}
${row('`confi docs log --format csv --output` (s)', 's', (s) => s.csv, false)}
${row('Export ratio, CSV: confi / `sqlite3 -csv` of the same columns', '×', (s) => ratio(s, 'csv'), false)}
${row('`confi docs log --format ndjson --output` (s; format 2 adds 6 commitments and 6 salts a row)', 's', (s) => s.ndjson, false)}
${row('`confi docs verify` (thousand rows/s; format 2 also checks every commitment)', 'k/s', (s) => rate(s.verify), true)}

The append rate of the fill (${ROWS.toLocaleString('en')} rows into an empty log, 1,000 callers): format 1 ${(sides[1].fill / 1000).toFixed(1)}k rows/s, format 2 ${(sides[2].fill / 1000).toFixed(1)}k rows/s.`
}

const load = loadavg()[0]
const sides = await measure()
const text = markdown(sides, load)
console.log(`\n${text}\n`)
if (process.env.BENCH_REPORT !== '0') {
  const figures = (s) => ({ appends: median(s.appends), csv: median(s.csv), ndjson: median(s.ndjson), baseline: median(s.baseline), verify: median(s.verify), fill: s.fill })
  updateReport('bench:log:formats', text, { date: new Date().toISOString().slice(0, 10), rows: ROWS, runs: RUNS, smoke: SMOKE, v1: figures(sides[1]), v2: figures(sides[2]) })
}

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
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
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

/** Appends `count` rows through the group-commit writer, `callers` at once: wall and CPU seconds. */
async function append(path, format, from, count, callers = 64) {
  const open = await openDatabase({ kind: 'sqlite', path })
  try {
    const writer = createAccessLogWriter(open.db, { format })
    let next = 0
    const started = performance.now()
    const cpu = process.cpuUsage()
    await Promise.all(Array.from({ length: callers }, async () => {
      while (next < count) await writer.record(entry(from + next++))
    }))
    const used = process.cpuUsage(cpu)
    return { seconds: (performance.now() - started) / 1000, cpu: (used.user + used.system) / 1e6 }
  } finally {
    await open.close()
  }
}

// CPU seconds (user + system, every thread) of the children waited for so far, from /proc/self/stat
// (Linux, whose clock ticks are 100 a second; null elsewhere): on a machine shared with other jobs, the CPU a run used varies far less
// than its wall time, so both are reported.
const TICKS = 100
function childrenCpu() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[13]) + Number(fields[14])) / TICKS
  } catch {
    return null
  }
}

/** Runs `command`; its wall seconds, and CPU seconds when the platform tells them. */
function timed(command, args, env, stdoutFile) {
  return new Promise((resolve, reject) => {
    const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore'
    const cpu = childrenCpu()
    const started = process.hrtime.bigint()
    const child = spawn(command, args, { env, stdio: ['ignore', out, 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => {
      if (stdoutFile) closeSync(out)
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`))
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const after = childrenCpu()
      resolve({ seconds, cpu: cpu === null || after === null ? null : after - cpu })
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
    sides[format] = { dir, path, env, fill: { seconds: 0, cpu: 0 }, appends: [], csv: [], ndjson: [], baseline: [], verify: [] }
  }
  // Filled by 1,000 callers at once (groups of up to 1,000 rows, one fsync each), a tenth at a
  // time, the formats alternating, so a neighbour's burst weighs on both.
  console.log(`bench:log formats: filling ${ROWS.toLocaleString('en')} rows of each format`)
  const slice = Math.ceil(ROWS / 10)
  for (let from = 0; from < ROWS; from += slice) {
    for (const format of [1, 2]) {
      const part = await append(sides[format].path, format, from, Math.min(slice, ROWS - from), 1000)
      sides[format].fill.seconds += part.seconds
      sides[format].fill.cpu += part.cpu
    }
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
    if (a.some((v) => v === null || !Number.isFinite(v))) return null
    const [ma, mb] = [median(a), median(b)]
    const cost = higherIsBetter ? ma / mb : mb / ma
    return `| ${label} | ${ma.toFixed(2)} ${unit} (${spread(a)}) | ${mb.toFixed(2)} ${unit} (${spread(b)}) | ${((cost - 1) * 100).toFixed(1)}% ${cost <= TARGET ? '' : '**MISSES the target**'} |`
  }
  const wall = (runs) => runs.map((r) => r.seconds)
  const rate = (runs, key) => runs.map((r) => (r[key] === null ? null : ROWS / r[key] / 1000))
  const appended = (runs, key) => runs.map((r) => 5000 / r[key] / 1000)
  const ratio = (side, key) => side[key].map((r, i) => r.seconds / side.baseline[i].seconds)
  const fill = (side, key) => (ROWS / side.fill[key] / 1000).toFixed(2)
  const rows = [
    row('Append, group commit, 64 callers (thousand rows/s)', 'k/s', (s) => appended(s.appends, 'seconds'), true),
    row('same, per CPU-second of the appending process (thousand rows)', 'k', (s) => appended(s.appends, 'cpu'), true),
    row('`confi docs log --format csv --output` (s)', 's', (s) => wall(s.csv), false),
    row('Export ratio, CSV: confi / `sqlite3 -csv` of the same columns', '×', (s) => ratio(s, 'csv'), false),
    row('`confi docs log --format ndjson --output` (s; format 2 adds 6 commitments and 6 salts a row)', 's', (s) => wall(s.ndjson), false),
    row('`confi docs verify` (thousand rows/s; format 2 also checks every commitment)', 'k/s', (s) => rate(s.verify, 'seconds'), true),
    row('same, per CPU-second of the command, all its threads (thousand rows)', 'k', (s) => rate(s.verify, 'cpu'), true),
  ].filter(Boolean)
  return `### Format 2 against format 1 (SQLite)
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${ROWS.toLocaleString('en')} rows per format
(half by a logged-in user, all with IP, port and user agent: five commitments a row in format 2), median of ${RUNS} runs
(min–max in brackets), the formats alternating; load average at the start: ${load.toFixed(1)}, at the end: ${loadavg()[0].toFixed(1)}. Repeat with
\`npm run build && node bench/log-formats.mjs\` (part of \`npm run bench:log\`). Target: format 2 costs at most 15% more.
The CPU rows count the CPU time the run used rather than the time it took: on a machine shared with other jobs they vary far less.

| | format 1 | format 2 | cost of format 2 |
| --- | --- | --- | --- |
${rows.join('\n')}

The fill (${ROWS.toLocaleString('en')} rows into an empty log, 1,000 callers, a tenth at a time, the formats alternating): format 1 ${fill(sides[1], 'seconds')}k rows/s (${fill(sides[1], 'cpu')}k per CPU-second), format 2 ${fill(sides[2], 'seconds')}k rows/s (${fill(sides[2], 'cpu')}k per CPU-second).`
}

const load = loadavg()[0]
const sides = await measure()
const text = markdown(sides, load)
console.log(`\n${text}\n`)
if (process.env.BENCH_REPORT !== '0') {
  const seconds = (runs) => median(runs.map((r) => r.seconds))
  const figures = (s) => ({
    appends: 5000 / seconds(s.appends),
    csv: seconds(s.csv),
    ndjson: seconds(s.ndjson),
    baseline: seconds(s.baseline),
    verify: seconds(s.verify),
    verifyCpu: median(s.verify.map((r) => r.cpu ?? NaN)),
    fill: ROWS / s.fill.seconds,
  })
  updateReport('bench:log:formats', text, { date: new Date().toISOString().slice(0, 10), rows: ROWS, runs: RUNS, smoke: SMOKE, v1: figures(sides[1]), v2: figures(sides[2]) })
}

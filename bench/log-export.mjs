// npm run bench:log — access-log export and append benchmark (issue 3 part 7, issue 5 part 5,
// docs/performance.md).
//
// For each backend (SQLite always; PostgreSQL too when CONFI_TEST_DATABASE_URL names a server,
// as under scripts/with-postgres.sh, i.e. `npm run bench:pg`): fill a fresh database with
// 1,000,000 access-log rows carrying a valid hash chain, export them to CSV with
// `confi docs log --format csv` and, in the same run and on the same database, with the
// database's own command line as the baseline (sqlite3 `-csv`; psql `\copy (...) TO STDOUT WITH
// CSV HEADER`), same join and columns. Then measure recordAccess's append rate, one row per
// transaction and through the group-commit writer. Results go to docs/performance.md
// (bench/report.mjs), one section per backend.
//
// Knobs: BENCH_ROWS (default 1,000,000; fewer marks the run as a smoke run), BENCH_RUNS (3),
// BENCH_BACKENDS=sqlite|postgres, BENCH_KEEP=1 keeps the SQLite folder for profiling,
// BENCH_SKIP_APPENDS=1 skips the append rates, BENCH_REPORT=0 writes no report.
//
// Issue 11: before the exports, the Merkle tree is built over the filled log (what `confi init`
// does once after the upgrade), then checkpoint cost and inclusion/consistency proof times at
// that size are measured (docs/receipts.md); the append rates include the tree's upkeep.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { accessLogHash, GENESIS_HASH } from '../dist/core/access-log/chain/row.js'
import { createAccessLogWriter, recordAccess } from '../dist/core/access-log/chain/append.js'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { consistencyProof, databaseSource, inclusionProof, syncTree } from '../dist/core/access-log/tree/merkle.js'
import { createCheckpoint } from '../dist/core/proof/checkpoints.js'
import { loadSigningKeys } from '../dist/core/proof/keys.js'
import { BACKEND_NAMES, EXPORT_TARGETS, selectedBackends, smokeNote, updateReport } from './report.mjs'
import { createBenchDatabase, psqlEnv, psqlPath, serverVersion } from './postgres.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FULL_ROWS = 1_000_000
const ROWS = Number(process.env.BENCH_ROWS ?? FULL_ROWS)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SMOKE = ROWS < FULL_ROWS || RUNS < 3
const backends = selectedBackends()

if (backends.includes('sqlite') && spawnSync('sqlite3', ['-version']).error) {
  console.error('bench: the sqlite3 command line is needed for the baseline: apt-get install -y sqlite3')
  process.exit(1)
}
const PSQL = psqlPath()
if (backends.includes('postgres') && spawnSync(PSQL, ['--version']).error) {
  console.error(`bench: psql is needed for the PostgreSQL baseline (tried ${PSQL}): apt-get install -y postgresql-client`)
  process.exit(1)
}

// Best of the runs: on a shared machine other jobs only ever add time, to either side.
const best = (values) => Math.min(...values)

// --- The rows, identical on both backends --------------------------------------------------

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'WhatsApp/2.23.20.0',
]
const CHANNELS = ['portal', 'link', 'email', 'whatsapp']
const START = Date.UTC(2026, 0, 1)
const CLIENTS = 20
const DOCUMENTS = 200
// Quotes and a comma in the client names, so both exports have to escape.
const clientName = (c) => `Empresa ${c}, Comércio "Ltda"`
const clientTaxId = (c) => String(10_000_000_000_000 + c)

/** Row `id` of the synthetic log (without its hashes). */
function benchRow(id) {
  const document = (id % DOCUMENTS) + 1
  const download = id % 3 === 0
  return {
    id,
    at: new Date(START + id * 1000).toISOString(),
    document_id: document,
    attachment_id: download ? document : null,
    client_id: ((document - 1) % CLIENTS) + 1,
    user_id: null,
    username: null,
    user_name: null,
    channel: CHANNELS[id % 4],
    delivery_id: null,
    ip: `203.0.113.${id % 250}`,
    port: 40000 + (id % 20000),
    user_agent: AGENTS[id % 3],
    action: download ? 'download' : 'view',
  }
}

/** Rows 1..ROWS with their prev_hash and hash, each hash chained to the previous one (docs/rules.md#access-log-integrity). */
function* chainedRows() {
  let prev = GENESIS_HASH
  for (let id = 1; id <= ROWS; id++) {
    const row = benchRow(id)
    const hash = accessLogHash(row, prev)
    yield { row, prev, hash }
    prev = hash
  }
}

const LOG_COLUMNS = ['id', 'at', 'document_id', 'attachment_id', 'client_id', 'user_id', 'username', 'user_name',
  'channel', 'delivery_id', 'ip', 'port', 'user_agent', 'action', 'prev_hash', 'hash']

// The export's join and columns (docs/rules.md#command-line CSV contract), for the baselines.
const BASELINE_SQL = `SELECT a.id, a.at, c.tax_id AS client_tax_id, c.name AS client_name, a.document_id,
  d.title AS document_title, t.file_name AS attachment, a.channel, a.username, a.user_name, a.ip,
  a.user_agent, a.action, a.hash
  FROM access_log a JOIN clients c ON c.id = a.client_id JOIN documents d ON d.id = a.document_id
  LEFT JOIN attachments t ON t.id = a.attachment_id ORDER BY a.id`

/**
 * Runs a command with stdout going straight to `stdoutFile` (as confi's --output goes to a
 * file), returns wall seconds and peak RSS (MB) from /usr/bin/time -v.
 */
function timed(command, args, env, stdoutFile) {
  return new Promise((resolve, reject) => {
    const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore'
    const started = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-v', command, ...args], { env, stdio: ['ignore', out, 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      if (stdoutFile) closeSync(out)
      if (code !== 0) return reject(new Error(`${command} exited ${code}: ${stderr}`))
      const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) / 1024
      resolve({ seconds, rss })
    })
  })
}

/** confi and the baseline alternately, RUNS times each, on the same database. */
async function exportRuns(dir, env, baseline) {
  const confiOut = join(dir, 'confi.csv')
  const baseOut = join(dir, 'baseline.csv')
  const confi = []
  const base = []
  for (let run = 0; run < RUNS; run++) {
    rmSync(confiOut, { force: true })
    confi.push(await timed(process.execPath, [join(root, 'bin/confi'), 'docs', 'log', '--format', 'csv', '--output', confiOut], env))
    base.push(await timed(baseline.command, baseline.args, baseline.env ?? env, baseOut))
  }
  const result = {
    confi: { seconds: best(confi.map((r) => r.seconds)), rss: Math.max(...confi.map((r) => r.rss)), bytes: statSync(confiOut).size },
    baseline: { seconds: best(base.map((r) => r.seconds)), rss: Math.max(...base.map((r) => r.rss)), bytes: statSync(baseOut).size },
    runs: { confi: confi.map((r) => Number(r.seconds.toFixed(2))), baseline: base.map((r) => Number(r.seconds.toFixed(2))) },
  }
  result.ratio = result.confi.seconds / result.baseline.seconds
  // Each confi run against the baseline run right after it: less sensitive to a neighbour's burst.
  result.ratioMedian = median(confi.map((r, i) => r.seconds / base[i].seconds))
  rmSync(confiOut, { force: true })
  rmSync(baseOut, { force: true })
  return result
}

async function appendRates(target) {
  if (process.env.BENCH_SKIP_APPENDS) return null
  const open = await openDatabase(target)
  try {
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
    return { single, grouped, concurrency }
  } finally {
    await open.close()
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Builds the tree over the filled log, then times checkpoints and proofs at ROWS leaves. */
async function proofCosts(target, dir) {
  const open = await openDatabase(target)
  try {
    let started = performance.now()
    await syncTree(open.db)
    const treeBuild = (performance.now() - started) / 1000
    const keys = loadSigningKeys(join(dir, 'signing-keys.json'), { create: true })
    const checkpoints = []
    for (let i = 0; i < 20; i++) {
      started = performance.now()
      await createCheckpoint(open.db, keys)
      checkpoints.push(performance.now() - started)
    }
    const inclusion = []
    const consistency = []
    let hashes = 0
    for (let i = 0; i < 200; i++) {
      const leaf = Math.floor(Math.random() * ROWS)
      started = performance.now()
      hashes = Math.max(hashes, (await inclusionProof(databaseSource(open.db), leaf, ROWS)).length)
      inclusion.push(performance.now() - started)
      started = performance.now()
      await consistencyProof(databaseSource(open.db), leaf + 1, ROWS)
      consistency.push(performance.now() - started)
    }
    return {
      treeBuild,
      checkpoint: median(checkpoints),
      inclusion: { median: median(inclusion), max: Math.max(...inclusion) },
      consistency: { median: median(consistency), max: Math.max(...consistency) },
      hashes,
    }
  } finally {
    await open.close()
  }
}

// --- SQLite --------------------------------------------------------------------------------

async function sqliteBench() {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-'))
  const dbPath = join(dir, 'confi.db')
  const env = { ...process.env, CONFI_DB: dbPath, CONFI_DATA_DIR: join(dir, 'data'), NO_COLOR: '1' }
  delete env.DATABASE_URL
  try {
    console.log(`bench:log sqlite: filling ${ROWS.toLocaleString('en')} access-log rows in ${dir}`)
    const open = await openDatabase({ kind: 'sqlite', path: dbPath }, { create: true })
    await applySchema(open)
    await open.close()
    const raw = new BetterSqlite3(dbPath)
    const now = new Date().toISOString()
    const started = performance.now()
    raw.transaction(() => {
      raw.prepare(`INSERT INTO firm_options (id, firm_name, base_url, updated_at) VALUES (1, 'Bench', 'http://localhost:3000', ?)`).run(now)
      for (let c = 1; c <= CLIENTS; c++) {
        raw.prepare('INSERT INTO clients (id, name, tax_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(c, clientName(c), clientTaxId(c), now, now)
      }
      for (let d = 1; d <= DOCUMENTS; d++) {
        raw.prepare(`INSERT INTO documents (id, client_id, title, category, created_at, created_by) VALUES (?, ?, ?, 'fiscal', ?, 'bench')`)
          .run(d, ((d - 1) % CLIENTS) + 1, `DAS ${d}/2026`, now)
        raw.prepare(`INSERT INTO attachments (id, document_id, file_name, media_type, size, sha256, storage_key) VALUES (?, ?, ?, 'application/pdf', 1, ?, ?)`)
          .run(d, d, `das-${d}.pdf`, 'a'.repeat(64), `aa/${'a'.repeat(62)}`)
      }
      const insert = raw.prepare(`INSERT INTO access_log (${LOG_COLUMNS.join(', ')}) VALUES (${LOG_COLUMNS.map(() => '?').join(', ')})`)
      for (const { row, prev, hash } of chainedRows()) {
        insert.run(...LOG_COLUMNS.slice(0, 14).map((c) => row[c]), prev, hash)
      }
    })()
    raw.pragma('wal_checkpoint(TRUNCATE)')
    // The library's SQLite (what confi runs on), not the sqlite3 command line's.
    const version = raw.prepare('SELECT sqlite_version() AS v').get().v
    raw.close()
    const fillSeconds = (performance.now() - started) / 1000
    console.log(`bench:log sqlite: filled in ${fillSeconds.toFixed(1)} s; building the Merkle tree, timing checkpoints and proofs`)
    const proofs = await proofCosts({ kind: 'sqlite', path: dbPath }, dir)
    console.log(`bench:log sqlite: exporting (${RUNS} runs each)`)
    const load = loadavg()[0]
    const exp = await exportRuns(dir, env, { command: 'sqlite3', args: ['-readonly', '-csv', '-header', dbPath, `${BASELINE_SQL};`] })
    console.log('bench:log sqlite: measuring append rates (synchronous=FULL)')
    const appends = await appendRates({ kind: 'sqlite', path: dbPath })
    return { exp, appends, proofs, load, fillSeconds, baselineName: `\`sqlite3 -readonly -csv -header\` ${spawnSync('sqlite3', ['-version']).stdout.toString().split(' ')[0]} (same join and columns)`, version }
  } finally {
    if (process.env.BENCH_KEEP) console.log(`bench: kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

// --- PostgreSQL ----------------------------------------------------------------------------

// COPY's CSV: an unquoted empty field is NULL, anything quoted is text.
const copyField = (v) => (v == null ? '' : typeof v === 'number' ? String(v) : `"${String(v).replaceAll('"', '""')}"`)

/** Streams the chained rows into `COPY access_log FROM STDIN` through psql: one statement, one transaction. */
function copyRows(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c',
      `\\copy access_log (${LOG_COLUMNS.join(', ')}) FROM pstdin WITH (FORMAT csv)`], { env, stdio: ['pipe', 'inherit', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql COPY exited ${code}: ${stderr}`))))
    const rows = chainedRows()
    // About 1 MB a write, waiting for 'drain' so the whole table never sits in memory.
    const pump = () => {
      for (;;) {
        const lines = []
        for (let i = 0; i < 4000; i++) {
          const next = rows.next()
          if (next.done) break
          const { row, prev, hash } = next.value
          lines.push(`${LOG_COLUMNS.slice(0, 14).map((c) => copyField(row[c])).join(',')},${prev},${hash}\n`)
        }
        if (lines.length === 0) return child.stdin.end()
        if (!child.stdin.write(lines.join(''))) return child.stdin.once('drain', pump)
      }
    }
    pump()
  })
}

async function postgresBench() {
  const adminUrl = process.env.CONFI_TEST_DATABASE_URL
  const database = await createBenchDatabase(adminUrl)
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-pg-'))
  const env = { ...process.env, DATABASE_URL: database.url, CONFI_DATA_DIR: join(dir, 'data'), NO_COLOR: '1' }
  delete env.CONFI_DB
  const pgEnv = psqlEnv(database.url)
  try {
    console.log(`bench:log postgres: filling ${ROWS.toLocaleString('en')} access-log rows in database ${database.name}`)
    const open = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 }, { create: true })
    await applySchema(open)
    await open.close()
    const started = performance.now()
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const now = new Date().toISOString()
      await client.query('BEGIN')
      await client.query(`INSERT INTO firm_options (id, firm_name, base_url, updated_at) VALUES (1, 'Bench', 'http://localhost:3000', $1)`, [now])
      for (let c = 1; c <= CLIENTS; c++) {
        await client.query('INSERT INTO clients (id, name, tax_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)', [c, clientName(c), clientTaxId(c), now])
      }
      for (let d = 1; d <= DOCUMENTS; d++) {
        await client.query(`INSERT INTO documents (id, client_id, title, category, created_at, created_by) VALUES ($1, $2, $3, 'fiscal', $4, 'bench')`,
          [d, ((d - 1) % CLIENTS) + 1, `DAS ${d}/2026`, now])
        await client.query(`INSERT INTO attachments (id, document_id, file_name, media_type, size, sha256, storage_key) VALUES ($1, $1, $2, 'application/pdf', 1, $3, $4)`,
          [d, `das-${d}.pdf`, 'a'.repeat(64), `aa/${'a'.repeat(62)}`])
      }
      await client.query('COMMIT')
      await copyRows(pgEnv)
      // A table just loaded has no statistics and unset hint bits: whoever reads it first would
      // pay for setting them. VACUUM ANALYZE puts it in the state a long-lived log would be in.
      await client.query('VACUUM (ANALYZE) access_log')
    } finally {
      await client.end()
    }
    const fillSeconds = (performance.now() - started) / 1000
    console.log(`bench:log postgres: filled in ${fillSeconds.toFixed(1)} s; building the Merkle tree, timing checkpoints and proofs`)
    const proofs = await proofCosts({ kind: 'postgres', url: database.url, poolSize: 2 }, dir)
    console.log(`bench:log postgres: exporting (${RUNS} runs each)`)
    const load = loadavg()[0]
    const sqlOneLine = BASELINE_SQL.replace(/\s+/g, ' ')
    const exp = await exportRuns(dir, env, {
      command: PSQL,
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy (${sqlOneLine}) TO STDOUT WITH CSV HEADER`],
      env: pgEnv,
    })
    console.log('bench:log postgres: measuring append rates')
    const appends = await appendRates({ kind: 'postgres', url: database.url, poolSize: 10 })
    return { exp, appends, proofs, load, fillSeconds, baselineName: '`psql -c "\\copy (SELECT …) TO STDOUT WITH CSV HEADER"` (same join and columns)', version: await serverVersion(database.url) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await database.drop()
  }
}

// --- Report --------------------------------------------------------------------------------

function markdown(backend, r) {
  const { exp, appends } = r
  const verdict = (ok) => (ok ? 'meets the target' : 'MISSES the target')
  const durability = backend === 'sqlite'
    ? '`synchronous=FULL`: every commit waits for an fsync.'
    : 'the throwaway cluster of scripts/with-postgres.sh runs with `fsync=off` and `synchronous_commit=off`, so these rates show the locking and round trips, not a disk: a production server with durable commits will be slower per transaction (group commit then matters as on SQLite).'
  return `### ${BACKEND_NAMES[backend]} ${r.version}
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${ROWS.toLocaleString('en')} rows (filled in
${r.fillSeconds.toFixed(1)} s), best of ${RUNS} runs; load average at the start of the exports: ${r.load.toFixed(1)}.

| Export to CSV (${ROWS.toLocaleString('en')} rows) | time | peak RSS | output |
| --- | --- | --- | --- |
| \`confi docs log --format csv --output FILE\` | ${exp.confi.seconds.toFixed(2)} s | ${exp.confi.rss.toFixed(0)} MB | ${(exp.confi.bytes / 1e6).toFixed(1)} MB |
| ${r.baselineName}, baseline | ${exp.baseline.seconds.toFixed(2)} s | ${exp.baseline.rss.toFixed(0)} MB | ${(exp.baseline.bytes / 1e6).toFixed(1)} MB |

- Ratio confi / baseline: **${exp.ratio.toFixed(2)}**, best against best (target ≤ ${EXPORT_TARGETS[backend].toFixed(1)}: ${verdict(exp.ratio <= EXPORT_TARGETS[backend])}); median of the paired runs ${exp.ratioMedian.toFixed(2)}.
- confi's peak RSS: **${exp.confi.rss.toFixed(0)} MB** (target < 150 MB: ${verdict(exp.confi.rss < 150)}).
- Each run (s), alternating: confi ${exp.runs.confi.join(', ')}; baseline ${exp.runs.baseline.join(', ')}.

| Append | rows/s |
| --- | --- |
| \`recordAccess\`, one transaction per row | ${appends ? appends.single.toFixed(0) : 'skipped'} |
| \`createAccessLogWriter\`, ${appends?.concurrency ?? 64} concurrent callers (group commit) | ${appends ? appends.grouped.toFixed(0) : 'skipped'} |

${proofTable(r.proofs)}

Durability: ${durability}`
}

function proofTable(p) {
  const ms = (v) => `${v.toFixed(2)} ms`
  return `| Signed checkpoints and proofs (docs/receipts.md), ${ROWS.toLocaleString('en')} rows | time |
| --- | --- |
| Building the Merkle tree over the existing log (once, \`confi init\` after the upgrade) | ${p.treeBuild.toFixed(1)} s |
| \`createCheckpoint\` (lock, tree head, Ed25519 signature, insert), median of 20 | ${ms(p.checkpoint)} |
| Inclusion proof of a random row (${p.hashes} hashes), median / max of 200 | ${ms(p.inclusion.median)} / ${ms(p.inclusion.max)} (target < 50 ms: ${p.inclusion.max < 50 ? 'meets the target' : 'MISSES the target'}) |
| Consistency proof from a random size, median / max of 200 | ${ms(p.consistency.median)} / ${ms(p.consistency.max)} |`
}

for (const backend of backends) {
  const r = backend === 'sqlite' ? await sqliteBench() : await postgresBench()
  const text = markdown(backend, r)
  console.log(`\n${text}\n`)
  if (process.env.BENCH_REPORT !== '0') {
    updateReport(`bench:log:${backend}`, text, {
      date: new Date().toISOString().slice(0, 10),
      rows: ROWS,
      smoke: SMOKE,
      confi: { seconds: r.exp.confi.seconds, rss: r.exp.confi.rss },
      baseline: { seconds: r.exp.baseline.seconds, rss: r.exp.baseline.rss },
      ratio: r.exp.ratio,
      ratioMedian: r.exp.ratioMedian,
      appends: r.appends && { single: r.appends.single, grouped: r.appends.grouped },
      proofs: r.proofs,
    })
  }
}

// npm run bench:verify — `confi docs verify` at 10 million log rows (issue 23: ≥ 300,000 rows/s).
//
// Runs on the database bench:scale filled and cached (bench/scale.mjs; run `npm run bench:scale`
// or `BENCH_FILL_ONLY=1 npm run bench:scale` first), or on the SQLite file BENCH_VERIFY_DB names.
// One run first to bring the file into the page cache, reported apart (a cron job at 3 a.m. may
// find the file cold), then BENCH_RUNS runs (default 3): the median with its spread, wall and CPU
// of all the command's threads. The baseline, in the same run and interleaved: the sqlite3
// command line reading the columns a verification reads, in id order, to /dev/null (the cost of
// the read alone, on one core). BENCH_REPORT=0 writes no report.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { updateReport } from './report.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CACHE = process.env.CONFI_SCALE_CACHE ?? join(tmpdir(), 'confi-scale-cache')
const dir = join(CACHE, 'sqlite-f1-100000-1000000-10000000')
const path = process.env.BENCH_VERIFY_DB ?? join(dir, 'confi.db')
if (!existsSync(path)) {
  console.error(`bench:verify: no database at ${path}: run \`BENCH_FILL_ONLY=1 npm run bench:scale\` first, or set BENCH_VERIFY_DB`)
  process.exit(1)
}
const env = {
  ...process.env,
  CONFI_DB: path,
  CONFI_DATA_DIR: join(dirname(path), 'data'),
  CONFI_SECRET_FILE: join(dirname(path), 'data', 'secret.key'),
  CONFI_SIGNING_KEY_FILE: join(dirname(path), 'signing-keys.json'),
  NO_COLOR: '1',
}
delete env.DATABASE_URL

// CPU seconds of the children waited for so far (/proc/self/stat, 100 ticks a second).
function childrenCpu() {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ')
  return (Number(fields[13]) + Number(fields[14])) / 100
}

function timed(command, args) {
  return new Promise((resolve, reject) => {
    const cpu = childrenCpu()
    const started = performance.now()
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c.length < 1e6 ? c : ''))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited ${code}: ${stderr.trim()}`))
      resolve({ seconds: (performance.now() - started) / 1000, cpu: childrenCpu() - cpu, stdout })
    })
  })
}

const COLUMNS = 'id, at, document_id, attachment_id, client_id, user_id, username, user_name, channel, delivery_id, ip, port, user_agent, action, prev_hash, hash, format'
const verify = async () => {
  const run = await timed(process.execPath, [join(root, 'bin/confi'), 'docs', 'verify', '--json'])
  const report = JSON.parse(run.stdout)
  if (!report.ok) throw new Error(`docs verify failed: ${report.problems?.join('; ')}`)
  return { ...run, rows: report.rows }
}
const baseline = () => timed('sqlite3', ['-readonly', path, `.output /dev/null`, `SELECT ${COLUMNS} FROM access_log ORDER BY id;`])

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const spread = (values, digits = 0) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`
const num = (n) => Math.round(n).toLocaleString('en')

console.error(`bench:verify: ${path}, a first run to warm the page cache`)
const load = loadavg()[0]
const first = await verify()
const runs = []
const base = []
for (let i = 0; i < RUNS; i++) {
  console.error(`bench:verify: run ${i + 1} of ${RUNS}`)
  runs.push(await verify())
  base.push(await baseline())
}
const rows = first.rows
const rates = runs.map((r) => rows / r.seconds)
const cpuPerRow = runs.map((r) => (r.cpu * 1e6) / rows)
const baseRates = base.map((r) => rows / r.seconds)
const rate = median(rates)
const markdown = `## \`confi docs verify\` at scale (\`npm run bench:verify\`, issue 23)

${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load average ${load.toFixed(1)} at the start; ${num(rows)} log rows
(format 1, the bench:scale fill). Median of ${RUNS} runs after a first one that warms the page cache, with the spread.

| what | figure | target |
|---|---|---|
| \`confi docs verify --json\` (chain, tree, checkpoints; wall time with start-up) | **${num(rate)} rows/s** (${spread(rates)}); ${median(runs.map((r) => r.seconds)).toFixed(1)} s | ≥ 300,000 rows/s: ${rate >= 300_000 ? 'meets' : '**MISSES**'} |
| CPU of the command, all its threads, per row | ${median(cpuPerRow).toFixed(2)} µs (${spread(cpuPerRow, 2)}) | under 6 µs |
| first run (the file colder in the page cache) | ${num(rows / first.seconds)} rows/s, ${first.seconds.toFixed(1)} s | |
| baseline: \`sqlite3\` reading the same columns in id order to /dev/null (one core) | ${num(median(baseRates))} rows/s (${spread(baseRates)}) | |
| verify / baseline | ${(rate / median(baseRates)).toFixed(2)}× | |
`
console.log(markdown)
if (process.env.BENCH_REPORT !== '0') updateReport('bench:verify:sqlite', markdown, { rate, rows, cpuPerRow: median(cpuPerRow), load })

// Shared by the benches: keeps docs/performance.md up to date without touching what people wrote.
//
// Each bench owns one section per backend, between marker comments such as
//   <!-- bench:log:sqlite --> ... <!-- /bench:log:sqlite -->
// and stores its figures as JSON in a comment inside that section, so the side-by-side summary
// (<!-- bench:summary --> ... <!-- /bench:summary -->) can be rebuilt from whatever sections exist,
// whichever bench ran last. Everything outside the markers is prose and is left alone.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const reportPath = fileURLToPath(new URL('../docs/performance.md', import.meta.url))

export const BACKENDS = ['sqlite', 'postgres']
export const BACKEND_NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' }

/**
 * The backends to measure: SQLite always, PostgreSQL when an admin URL is available (as under
 * scripts/with-postgres.sh). BENCH_BACKENDS=postgres (or sqlite) narrows it to one.
 */
export function selectedBackends() {
  const wanted = (process.env.BENCH_BACKENDS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
  const available = process.env.CONFI_TEST_DATABASE_URL ? BACKENDS : ['sqlite']
  if (wanted.length === 0) return available
  for (const b of wanted) {
    if (!BACKENDS.includes(b)) throw new Error(`BENCH_BACKENDS: unknown backend '${b}' (sqlite, postgres)`)
    if (!available.includes(b)) {
      throw new Error(`BENCH_BACKENDS=${b} needs CONFI_TEST_DATABASE_URL: run under scripts/with-postgres.sh (npm run bench:pg)`)
    }
  }
  return wanted
}

const DATA = /<!-- data: (.*?) -->/

function markers(key) {
  return [`<!-- ${key} -->`, `<!-- /${key} -->`]
}

function section(text, key) {
  const [open, close] = markers(key)
  const start = text.indexOf(open)
  const end = text.indexOf(close)
  if (start < 0 || end < start) return null
  return { start, end: end + close.length, body: text.slice(start + open.length, end) }
}

function replaceSection(text, key, body) {
  const [open, close] = markers(key)
  const found = section(text, key)
  const block = `${open}\n${body.trim()}\n${close}`
  if (found) return text.slice(0, found.start) + block + text.slice(found.end)
  // A section the report does not have yet goes at the end rather than being lost.
  return `${text.trimEnd()}\n\n${block}\n`
}

/** The figures a bench stored for `key`, or null when it never ran. */
export function readData(text, key) {
  const found = section(text, key)
  const match = found && DATA.exec(found.body)
  return match ? JSON.parse(match[1]) : null
}

/** Issue 13: the export at most this many times the database's own command line. */
export const EXPORT_TARGETS = { sqlite: 2.0, postgres: 2.5 }

const num = (v, digits = 0) => (v == null || Number.isNaN(v) ? '—' : Number(v).toFixed(digits))
const ok = (pass) => (pass ? '✓' : '✗ misses')

function smokeMark(d) {
  return d?.smoke ? ' ⚠' : ''
}

function summary(text) {
  const log = Object.fromEntries(BACKENDS.map((b) => [b, readData(text, `bench:log:${b}`)]))
  const portal = Object.fromEntries(BACKENDS.map((b) => [b, readData(text, `bench:portal:${b}`)]))
  const download = Object.fromEntries(BACKENDS.map((b) => [b, readData(text, `bench:download:${b}`)]))
  const append = Object.fromEntries(BACKENDS.map((b) => [b, readData(text, `bench:append:${b}`)]))
  const row = (label, cell, target = '') =>
    `| ${label} | ${BACKENDS.map((b) => cell(b)).join(' | ')} | ${target} |`
  const logCell = (f) => (b) => (log[b] ? f(log[b]) + smokeMark(log[b]) : 'not run yet')
  const portalCell = (f) => (b) => (portal[b] ? f(portal[b]) + smokeMark(portal[b]) : 'not run yet')
  const downloadCell = (f) => (b) => (download[b] ? f(download[b]) + smokeMark(download[b]) : 'not run yet')
  const lines = [
    `| | ${BACKENDS.map((b) => BACKEND_NAMES[b]).join(' | ')} | target |`,
    `|---|---|---|---|`,
    row('**Log export** (`npm run bench:log`)', (b) => (log[b] ? `${log[b].date}, ${log[b].rows.toLocaleString('en')} rows${log[b].smoke ? ', **smoke run, not representative**' : ''}` : ''), ''),
    row('confi `docs log --format csv`', logCell((d) => `${num(d.confi.seconds, 2)} s`)),
    row('baseline (sqlite3 CLI / psql `\\copy`)', logCell((d) => `${num(d.baseline.seconds, 2)} s`)),
    row('ratio confi / baseline (best of runs)', (b) => logCell((d) => `**${num(d.ratio, 2)}** ${ok(d.ratio <= EXPORT_TARGETS[b])}`)(b), '≤ 2.0 SQLite, ≤ 2.5 PostgreSQL'),
    row('confi peak RSS', logCell((d) => `**${num(d.confi.rss)} MB** ${ok(d.confi.rss < 150)}`), '< 150 MB'),
    row('append, one row per transaction', logCell((d) => (d.appends ? `${num(d.appends.single)} rows/s` : 'skipped'))),
    row('append, group commit', logCell((d) => (d.appends ? `${num(d.appends.grouped)} rows/s` : 'skipped'))),
    row('**Portal** (`npm run bench:portal`)', (b) => (portal[b] ? `${portal[b].date}, ${portal[b].seconds} s a phase${portal[b].smoke ? ', **smoke run, not representative**' : ''}` : ''), ''),
    row('bare route, better of streamed/read', portalCell((d) => `${num(d.bare)} req/s`)),
    row('gated download', portalCell((d) => `${num(d.gated.rps)} req/s, p99 ${num(d.gated.p99, 1)} ms`)),
    row('gated / bare throughput', portalCell((d) => `**${num(d.ratio * 100)}%** ${ok(d.ratio >= 0.5)}`), '≥ 50%'),
    row('gated during a login burst', portalCell((d) => `${num(d.during.rps)} req/s, p99 ${num(d.during.p99, 1)} ms`)),
    row('p99 during burst / p99 without', portalCell((d) => `**${num(d.p99Ratio, 2)}×** ${ok(d.p99Ratio <= 2)}`), '≤ 2×'),
    row('errors', portalCell((d) => String(d.errors))),
    row('**Gated download, wrk** (`npm run bench:download`)', (b) => (download[b] ? `${download[b].date}, ${download[b].seconds} s a run${download[b].smoke ? ', **smoke run, not representative**' : ''}` : ''), ''),
    row('bare route (readFile)', downloadCell((d) => `${num(d.bare)} req/s`)),
    row('gated download (`confi serve`)', downloadCell((d) => `${num(d.gated.rps)} req/s, p99 ${num(d.gated.p99, 1)} ms`)),
    row('gated / bare', downloadCell((d) => `**${num(d.ratio * 100)}%** ${ok(d.ratio >= d.target)}`), '≥ 70% SQLite, ≥ 50% PostgreSQL (issue 23)'),
    row('p99 during a login burst / without', downloadCell((d) => `**${num(d.p99Ratio, 2)}×** ${ok(d.p99Ratio <= 2)}`), '≤ 2×'),
    row('errors', downloadCell((d) => `${d.errors} ${ok(d.errors === 0)}`), '0'),
    row('**Append, 64 writers** (`npm run bench:append`)', (b) => (append[b] ? `${append[b].date}, ${append[b].rows.toLocaleString('en')} rows${append[b].smoke ? ', **smoke run, not representative**' : ''}` : ''), ''),
    row('group commit on the event loop', (b) => (append[b] ? `${num(append[b].onLoop.rowsPerSecond)} rows/s` + smokeMark(append[b]) : 'not run yet')),
    row('commit thread (`confi serve`)', (b) => (append[b]?.thread ? `**${num(append[b].thread.rowsPerSecond)} rows/s** ${ok(append[b].thread.rowsPerSecond >= 20000)}` + smokeMark(append[b]) : append[b] ? 'main thread only' : 'not run yet'), '≥ 20,000 rows/s (SQLite)'),
    row("the disk's ceiling (64 rows a commit)", (b) => (append[b]?.ceiling ? `${num(append[b].ceiling)} rows/s` : '—')),
  ]
  lines.push(...scaleRows(text, row))
  const anySmoke = [...Object.values(log), ...Object.values(portal), ...Object.values(download), ...Object.values(append)].some((d) => d?.smoke)
  if (anySmoke) {
    lines.push('', '⚠ = **smoke run, not representative**: shortened sizes (BENCH_ROWS / BENCH_SECONDS) on a loaded machine, run only to prove the bench works; rerun the full benches before reading anything into these.')
  }
  return lines.join('\n')
}

// Issue 13 target 4: the scale bench's worst page p99, slowest command and proof.
function scaleRows(text, row) {
  const scale = Object.fromEntries(BACKENDS.map((b) => [b, readData(text, `bench:scale:${b}`)]))
  const cell = (f) => (b) => (scale[b] ? f(scale[b]) + (scale[b].smoke ? ` (CONFI_SCALE=${scale[b].scale})` : '') : 'not run yet')
  const worst = (d) => Math.max(...Object.values(d.pages).filter(Boolean).map((p) => p.p99))
  const slowest = (d) => Math.max(d.cli.docsList, d.cli.pending, d.cli.reminders)
  return [
    row('**Scale** (`npm run bench:scale`)', cell((d) => `${d.date}, ${d.logRows.toLocaleString('en')} log rows`)),
    row('slowest page p99', cell((d) => `**${num(worst(d), 1)} ms** ${ok(worst(d) <= 50)}`), '≤ 50 ms'),
    row('slowest CLI command', cell((d) => `**${num(slowest(d), 2)} s** ${ok(slowest(d) <= 2)}`), '≤ 2 s'),
    row('`docs verify`, one run after the page views (the file partly cold)', cell((d) => (d.verify ? `**${num(d.verify.rate)} rows/s** ${ok(d.verify.rate >= 300_000)}` : 'skipped')), '≥ 300,000 rows/s'),
    row('`docs verify`, median of 3 warm runs (`npm run bench:verify`)', (b) => {
      const verify = readData(text, `bench:verify:${b}`)
      return verify ? `**${num(verify.rate)} rows/s** ${ok(verify.rate >= 300_000)}, ${num(verify.cpuPerRow, 2)} µs CPU a row` : 'not run yet'
    }, '≥ 300,000 rows/s, < 6 µs a row'),
    row('inclusion proof p99', cell((d) => `**${num(d.proofs.p99, 1)} ms** ${ok(d.proofs.p99 <= 50)}`), '≤ 50 ms'),
    row('size per million log rows', cell((d) => `${num(d.bytes / (d.logRows / 1e6) / 1e6)} MB`)),
  ]
}

/** Rebuilds the summary from the sections as they are (after editing the report by hand). */
export function rebuildSummary() {
  const text = readFileSync(reportPath, 'utf8')
  writeFileSync(`${reportPath}.tmp`, replaceSection(text, 'bench:summary', summary(text)))
  renameSync(`${reportPath}.tmp`, reportPath)
}

/** Replaces the section `key` with `markdown` (plus its figures) and rebuilds the summary. */
export function updateReport(key, markdown, data) {
  let text = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : '# Performance\n'
  text = replaceSection(text, key, `<!-- data: ${JSON.stringify(data)} -->\n${markdown}`)
  text = replaceSection(text, 'bench:summary', summary(text))
  // Written aside and renamed: an interrupted bench never leaves half a report.
  writeFileSync(`${reportPath}.tmp`, text)
  renameSync(`${reportPath}.tmp`, reportPath)
  console.log(`bench: updated ${key} in docs/performance.md`)
}

/** Smoke runs (shortened sizes) are marked in the report so nobody takes them for results. */
export function smokeNote(smoke) {
  return smoke ? '\n> **Smoke run, not representative**: shortened sizes on a loaded machine, only proving the bench runs.\n' : ''
}

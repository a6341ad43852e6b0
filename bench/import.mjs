// npm run bench:import — bulk import benchmark (issue 12 part 8, docs/performance.md).
//
// For each backend (SQLite always; PostgreSQL too under scripts/with-postgres.sh): 100 clients,
// 1,000 one-page DAS guides (pdf-lib, laid out like the real ones, 10 per client over 10
// competências) in one folder, imported with the same core `confi docs import` runs, timed, with
// the resident memory sampled every 100 files; then the same folder again (every guide a
// duplicate). Target: the first import in at most 60 s, memory flat (last sample within 25% of
// the sample after 100 files).
//
// Knobs: BENCH_GUIDES (default 1,000; fewer marks a smoke run), BENCH_BACKENDS=sqlite|postgres,
// BENCH_REPORT=0 writes no report.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { PDFDocument, StandardFonts } from 'pdf-lib'
import { accountant } from '../dist/core/actors.js'
import { addClient } from '../dist/core/clients/clients.js'
import { initFirm } from '../dist/core/clients/firm.js'
import { resolveConfig } from '../dist/core/config/app-config.js'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { importFiles } from '../dist/core/import/file.js'
import { createDiskFileStore } from '../dist/core/storage/disk/disk-store.js'
import { loadSecretKey } from '../dist/core/tokens.js'
import { createBenchDatabase } from './postgres.mjs'
import { BACKEND_NAMES, reportPath, selectedBackends } from './report.mjs'

const FULL = 1000
const GUIDES = Number(process.env.BENCH_GUIDES ?? FULL)
const CLIENTS = 100
const TARGET_SECONDS = 60
const MB = 1024 * 1024
const BENCH = accountant('cli:bench')

// A valid CNPJ from a 12-digit body (docs/rules.md#tax-ids).
function cnpj(body) {
  const digit = (s) => {
    let sum = 0
    for (let i = 0; i < s.length; i++) sum += Number(s[i]) * (((s.length - 1 - i) % 8) + 2)
    return sum % 11 < 2 ? 0 : 11 - (sum % 11)
  }
  const first = digit(body)
  return `${body}${first}${digit(body + first)}`
}
const formatted = (id) => `${id.slice(0, 2)}.${id.slice(2, 5)}.${id.slice(5, 8)}/${id.slice(8, 12)}-${id.slice(12)}`
const taxIds = Array.from({ length: CLIENTS }, (_, i) => cnpj(String(20_000_000_0001 + i * 10_000).padStart(12, '0')))

async function writeGuides(dir) {
  for (let i = 0; i < GUIDES; i++) {
    const doc = await PDFDocument.create()
    const font = await doc.embedFont(StandardFonts.Helvetica)
    const page = doc.addPage([595, 842])
    const month = String((i % 10) + 1).padStart(2, '0')
    const id = formatted(taxIds[Math.floor(i / 10) % CLIENTS])
    const lines = [
      'Documento de Arrecadação do Simples Nacional',
      `CNPJ ${id}`,
      `Razão Social Empresa ${id}`,
      `Período de Apuração ${month}/2026`,
      `Data de Vencimento 20/${month}/2026`,
      `Valor Total do Documento R$ ${1000 + i},${String(i % 100).padStart(2, '0')}`,
      '85800000012 3 34560328261 5 10072026305 0 12345678123 9',
    ]
    lines.forEach((text, n) => page.drawText(text, { x: 40, y: 780 - n * 30, size: 11, font }))
    writeFileSync(join(dir, `das-${String(i).padStart(4, '0')}.pdf`), await doc.save())
  }
}

async function openBackend(backend, dir) {
  if (backend === 'sqlite') {
    const config = resolveConfig({ env: { CONFI_DB: join(dir, 'confi.db'), CONFI_DATA_DIR: join(dir, 'data') }, cwd: dir })
    return { config, drop: async () => {} }
  }
  const created = await createBenchDatabase(process.env.CONFI_TEST_DATABASE_URL)
  const config = resolveConfig({ env: { DATABASE_URL: created.url, CONFI_DATA_DIR: join(dir, 'data') }, cwd: dir })
  return { config, drop: created.drop }
}

async function measure(backend, guides) {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-import-'))
  const { config, drop } = await openBackend(backend, dir)
  const open = await openDatabase(config.database, { create: true })
  try {
    await applySchema(open)
    await initFirm(open.db, { firmName: 'Contabilidade Bench', baseUrl: 'http://localhost:3000' })
    const key = loadSecretKey(config.secretFile, { create: true })
    for (const id of taxIds) await addClient(open.db, key, BENCH, { name: `Empresa ${id}`, taxId: id })
    const store = createDiskFileStore(join(config.dataDir, 'files'))
    const samples = []
    const onProgress = ({ filesDone }) => {
      if (filesDone % 100 === 0) samples.push(Math.round(process.memoryUsage().rss / MB))
    }
    const load = loadavg()[0]
    const started = performance.now()
    const first = await importFiles(open.db, store, BENCH, [guides], { onProgress })
    const seconds = (performance.now() - started) / 1000
    const again = performance.now()
    const second = await importFiles(open.db, store, BENCH, [guides])
    const rerunSeconds = (performance.now() - again) / 1000
    const added = first.rows.filter((r) => r.outcome === 'added').length
    const duplicates = second.rows.filter((r) => r.outcome === 'duplicate').length
    if (added !== GUIDES || duplicates !== GUIDES) throw new Error(`bench: expected ${GUIDES} added and duplicates, got ${added} and ${duplicates}`)
    return { load, seconds, rerunSeconds, samples, peakMb: Math.round(process.resourceUsage().maxRSS / 1024) }
  } finally {
    await open.close()
    await drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function section(backend, r) {
  const flat = r.samples.length > 1 && r.samples.at(-1) <= r.samples[0] * 1.25
  const pass = r.seconds <= TARGET_SECONDS
  return `### ${BACKEND_NAMES[backend]}${GUIDES < FULL ? ` (smoke run: ${GUIDES} guides)` : ''}

| Measure | Value | Target |
| --- | --- | --- |
| Import of ${GUIDES} one-page guides | ${r.seconds.toFixed(1)} s (${(GUIDES / r.seconds).toFixed(0)} pages/s) | ≤ ${TARGET_SECONDS} s ${pass ? '✓' : '✗ misses'} |
| Re-run, all duplicates | ${r.rerunSeconds.toFixed(1)} s | — |
| Resident memory every 100 files (MB) | ${r.samples.join(', ')} | flat ${flat ? '✓' : '✗ grows'} |
| Peak resident memory of the process so far | ${r.peakMb} MB | — |

Load average at start ${r.load.toFixed(2)} on ${cpus().length} cores; ${new Date().toISOString().slice(0, 10)}.`
}

function writeReport(body) {
  const open = '<!-- bench:import -->'
  const close = '<!-- /bench:import -->'
  const text = readFileSync(reportPath, 'utf8')
  const block = `${open}\n${body.trim()}\n${close}`
  const start = text.indexOf(open)
  const end = text.indexOf(close)
  const next = start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + close.length) : `${text.trimEnd()}\n\n${block}\n`
  writeFileSync(reportPath, next)
}

const guides = mkdtempSync(join(tmpdir(), 'confi-bench-guides-'))
mkdirSync(guides, { recursive: true })
try {
  console.error(`bench:import: writing ${GUIDES} guides…`)
  await writeGuides(guides)
  const sections = []
  for (const backend of selectedBackends()) {
    console.error(`bench:import: ${BACKEND_NAMES[backend]}…`)
    const result = await measure(backend, guides)
    console.error(JSON.stringify({ backend, ...result }))
    sections.push(section(backend, result))
  }
  if (process.env.BENCH_REPORT !== '0') writeReport(`## Bulk import (\`npm run bench:import\`)\n\n${sections.join('\n\n')}`)
} finally {
  rmSync(guides, { recursive: true, force: true })
}

// CLI start-up: `confi --version` and `confi clients list --json` over 10,000 clients, each as a
// ratio to `node -e 0` measured in the same run, interleaved so that a busy neighbour slows every
// command alike. Also runs the unbundled tsc output, to show what the bundle buys.
// Each command's output goes to /dev/null, as hyperfine sends it: `node -e 0` writes nothing, and
// the 2.9 MB of the list read back through a pipe by this process's spawnSync (64 KB a wake-up)
// cost the reader about 25 ms more than /dev/null or `| cat` (docs/decisions.md, "bench:cli sends
// the output to /dev/null"); that figure is printed beside it.
// BENCH_RUNS (default 30) runs of each; BENCH_REPORT=0 writes no report. `npm run bench:cli`.
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { updateReport } from './report.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.env.BENCH_RUNS ?? 30)
const CLIENTS = 10_000

/** A valid numeric CNPJ for `n` (check digits computed as the Receita does). */
function cnpj(n) {
  const base = String(10_000_000 + n).padStart(8, '0') + '0001'
  const digit = (digits) => {
    const weights = digits.length === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    const sum = [...digits].reduce((acc, c, i) => acc + Number(c) * weights[i], 0)
    const rest = sum % 11
    return rest < 2 ? '0' : String(11 - rest)
  }
  const first = digit(base)
  return base + first + digit(base + first)
}

async function fill(path) {
  const open = await openDatabase({ kind: 'sqlite', path }, { create: true })
  await applySchema(open)
  const at = new Date().toISOString()
  await open.db.transaction().execute(async (trx) => {
    for (let i = 0; i < CLIENTS; i += 500) {
      const rows = []
      for (let n = i; n < Math.min(i + 500, CLIENTS); n++) {
        rows.push({ name: `Cliente Bench ${n} Ltda`, tax_id: cnpj(n), created_at: at, updated_at: at })
      }
      await trx.insertInto('clients').values(rows).execute()
    }
  })
  await open.close()
}

const devNull = openSync('/dev/null', 'w')

function time(command, args, env, stdout = devNull) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'pipe'], maxBuffer: 64 << 20 })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return { ms, stdout: result.stdout }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const dir = mkdtempSync(join(tmpdir(), 'confi-bench-cli-'))
try {
  const db = join(dir, 'confi.db')
  await fill(db)
  const env = { CONFI_DB: db, NO_COLOR: '1' }
  // What bin/confi ran before the bundle: the tsc output, module by module.
  const unbundled = join(dir, 'unbundled.mjs')
  writeFileSync(unbundled, `import(${JSON.stringify(join(root, 'dist/cli/main.js'))}).then((m) => m.main())\n`)
  const cases = {
    node: ['node', ['-e', '0']],
    version: ['node', ['bin/confi', '--version']],
    versionUnbundled: ['node', [unbundled, '--version']],
    list: ['node', ['bin/confi', 'clients', 'list', '--json']],
    listUnbundled: ['node', [unbundled, 'clients', 'list', '--json']],
  }
  const listed = JSON.parse(time(...cases.list, env, 'pipe').stdout)
  if (listed.length !== CLIENTS) throw new Error(`clients list printed ${listed.length} clients, expected ${CLIENTS}`)
  const samples = Object.fromEntries([...Object.keys(cases), 'listPiped'].map((k) => [k, []]))
  for (let i = 0; i < runs; i++) {
    for (const [name, [command, args]] of Object.entries(cases)) samples[name].push(time(command, args, env).ms)
    samples.listPiped.push(time(...cases.list, env, 'pipe').ms)
  }
  const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
  const ratio = (k) => ms[k] / ms.node
  const data = { date: new Date().toISOString().slice(0, 10), runs, ms, ratios: Object.fromEntries(Object.keys(ms).map((k) => [k, ratio(k)])) }
  const line = (label, k, target) => `| ${label} | ${ms[k].toFixed(0)} ms | **${ratio(k).toFixed(2)}×** | ${target ?? ''} |`
  const text = [
    `CLI start-up, ${data.date}, median of ${runs} interleaved runs each, output to /dev/null (\`npm run bench:cli\`).`,
    '',
    '| command | median | ratio to `node -e 0` | target |',
    '|---|---|---|---|',
    line('`node -e 0` (baseline)', 'node'),
    line('`confi --version`', 'version', '≤ 1.3×'),
    line('`confi --version`, unbundled tsc output', 'versionUnbundled'),
    line(`\`confi clients list --json\`, ${CLIENTS.toLocaleString('en')} clients`, 'list', '≤ 2.5×'),
    line('the same, unbundled tsc output', 'listUnbundled'),
    line('the same (bundled), read back through a pipe by spawnSync', 'listPiped'),
  ].join('\n')
  console.log(text)
  if (process.env.BENCH_REPORT !== '0') updateReport('bench:cli', text, data)
} finally {
  closeSync(devNull)
  rmSync(dir, { recursive: true, force: true })
}

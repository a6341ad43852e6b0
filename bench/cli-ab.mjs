// A/B of two builds of the CLI: each command under each build, interleaved (A, B, A, B...), wall
// and CPU (user+sys from /usr/bin/time), median and spread (min-max), beside `node -e 0`.
// Usage: node bench/cli-ab.mjs OLD_ROOT NEW_ROOT [runs]; CONFI_DB must name an initialised
// database (bench/cli-start.mjs fills one with 10,000 clients). A root is a folder holding
// bin/confi and dist/ (a copy of an older build, or this checkout).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'

const [oldRoot, newRoot, runsArg] = process.argv.slice(2)
if (!oldRoot || !newRoot) throw new Error('usage: node bench/cli-ab.mjs OLD_ROOT NEW_ROOT [runs]')
const runs = Number(runsArg ?? 9)
const dir = mkdtempSync(join(tmpdir(), 'confi-cli-ab-'))
const timeFile = join(dir, 'time')

function run(args) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', timeFile, 'node', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  const [wall, user, sys] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number)
  return { wall: wall * 1000, cpu: (user + sys) * 1000 }
}

const commands = {
  version: ['--version'],
  'list --limit 1 --json': ['clients', 'list', '--limit', '1', '--json'],
  'list --json': ['clients', 'list', '--json'],
  list: ['clients', 'list'],
}
const cases = { 'node -e 0': ['-e', '0'] }
for (const [name, args] of Object.entries(commands)) {
  cases[`A ${name}`] = [join(oldRoot, 'bin/confi'), ...args]
  cases[`B ${name}`] = [join(newRoot, 'bin/confi'), ...args]
}
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
const load = loadavg()[0]
try {
  for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(cases)) samples[name].push(run(args))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
const stat = (v) => `${median(v).toFixed(0)} (${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})`
const base = samples['node -e 0']
console.log(`A = ${oldRoot}, B = ${newRoot}; ${runs} interleaved runs; load average at start ${load.toFixed(2)}, at end ${loadavg()[0].toFixed(2)}`)
console.log('| command | wall ms median (min–max) | wall / node -e 0 | CPU ms median (min–max) | CPU / node -e 0 |')
console.log('|---|---|---|---|---|')
for (const [name, v] of Object.entries(samples)) {
  const wall = v.map((s) => s.wall)
  const cpu = v.map((s) => s.cpu)
  const ratio = (k) => (median(v.map((s) => s[k])) / median(base.map((s) => s[k]))).toFixed(2)
  console.log(`| ${name} | ${stat(wall)} | ${ratio('wall')}× | ${stat(cpu)} | ${ratio('cpu')}× |`)
}

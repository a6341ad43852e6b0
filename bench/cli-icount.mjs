// Instructions executed (valgrind callgrind, all threads) by each CLI command under two builds,
// alternating: a figure that barely moves when the machine is busy, where wall and CPU time swing
// by tens of percent. It leaves out kernel time (page faults, file reads), so confirm a gain with
// bench/cli-ab.mjs (wall and CPU) before trusting it alone.
// Usage: node bench/cli-icount.mjs OLD_ROOT NEW_ROOT [runs]; CONFI_DB must name an initialised
// database (bench/cli-start.mjs fills one with 10,000 clients); a root holds bin/confi and dist/.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const [oldRoot, newRoot, runsArg] = process.argv.slice(2)
if (!oldRoot || !newRoot) throw new Error('usage: node bench/cli-icount.mjs OLD_ROOT NEW_ROOT [runs]')
const runs = Number(runsArg ?? 2)

function instructions(args) {
  const result = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', 'node', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  const found = /Collected : (\d+)/.exec(result.stderr)
  if (result.status !== 0 || !found) throw new Error(`valgrind node ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return Number(found[1])
}

const commands = {
  version: ['--version'],
  'list --limit 1 --json': ['clients', 'list', '--limit', '1', '--json'],
  'list --json': ['clients', 'list', '--json'],
}
const cases = { 'node -e 0': ['-e', '0'] }
for (const [name, args] of Object.entries(commands)) {
  cases[`A ${name}`] = [join(oldRoot, 'bin/confi'), ...args]
  cases[`B ${name}`] = [join(newRoot, 'bin/confi'), ...args]
}
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(cases)) samples[name].push(instructions(args))
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length
const base = mean(samples['node -e 0'])
console.log(`A = ${oldRoot}, B = ${newRoot}; ${runs} runs each`)
console.log('| command | instructions (millions), each run | mean / node -e 0 |')
console.log('|---|---|---|')
for (const [name, v] of Object.entries(samples)) {
  console.log(`| ${name} | ${v.map((n) => (n / 1e6).toFixed(0)).join(', ')} | ${(mean(v) / base).toFixed(2)}× |`)
}

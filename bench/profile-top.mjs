// Summarises a V8 .cpuprofile (node --cpu-prof, BENCH_PROFILE of bench:upload): self time by
// function (name, file:line) as a share of the profile, the top N; `--by-file` groups by file.
// Usage: node bench/profile-top.mjs <file.cpuprofile> [N] [--by-file]
import { readFileSync } from 'node:fs'

const [file, n = '30', mode] = process.argv.slice(2)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map()
const deltas = profile.timeDeltas
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i])
  const dt = deltas[i] ?? 0
  total += dt
  const { functionName, url, lineNumber } = node.callFrame
  const short = url.replace(/^.*\/(node_modules\/)?/, '')
  const key = mode === '--by-file' ? short || `(${functionName || 'native'})` : `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + dt)
}
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`)
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
}

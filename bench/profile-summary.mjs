// Summarises a V8 .cpuprofile (node --cpu-prof, as BENCH_PROFILE writes them): the share of
// samples spent in each function itself (self) and under it (total), top N of each, so a
// profile's sentence in docs/performance.md can be checked again. `--by-file` sums self time by
// file instead of by function.
//
//   node bench/profile-summary.mjs FILE.cpuprofile [N] [--by-file]
import { readFileSync } from 'node:fs'

const [file, top = '25', mode] = process.argv.slice(2)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const counts = new Map()
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
const total = profile.samples.length
const label = (n) => {
  const f = n.callFrame
  if (mode === '--by-file') return f.url ? f.url.replace(/^.*\/(node_modules\/)?/, '') : f.functionName || '(native)'
  const where = f.url ? `${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : ''
  return `${f.functionName || '(anonymous)'} ${where}`.trim()
}
const self = new Map()
const inclusive = new Map()
for (const [id, count] of counts) {
  const key = label(byId.get(id))
  self.set(key, (self.get(key) ?? 0) + count)
  const seen = new Set()
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const k = label(byId.get(at))
    if (seen.has(k)) continue
    seen.add(k)
    inclusive.set(k, (inclusive.get(k) ?? 0) + count)
  }
}
const show = (title, map) => {
  console.log(`${title} (${total} samples)`)
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${((v / total) * 100).toFixed(1).padStart(6)}%  ${k}`)
}
show('self', self)
show('total', inclusive)

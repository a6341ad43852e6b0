#!/usr/bin/env node
// Keeps docs/rules.md and README.md from drifting away from the tree (docs/rules.md#architecture):
// every repository path they name in backquotes must exist, and the core layer list of
// docs/rules.md must be the one .dependency-cruiser.cjs enforces. Run by `npm run lint:docs`
// (and so by CI). Usage: node scripts/check-docs.mjs [ROOT]; exit 1 lists every problem.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..'))
const DOCS = ['docs/rules.md', 'README.md']
const TOP_FOLDERS = ['src', 'test', 'scripts', 'bench', 'docs', 'bin', '.ci']
const FILE_NAME = /^[\w.-]+\.(ts|tsx|mjs|cjs|js|sh|md|sql|json)$/
const LAYER_SENTENCE = /core folders, lowest first:([^.]*)\./i

const problems = []
for (const doc of DOCS) checkPaths(doc)
checkLayers()

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-docs: ${problem}`)
  console.error(`check-docs: ${problems.length} problem(s); fix the document or the tree`)
  process.exit(1)
}
console.log(`check-docs: ${DOCS.join(', ')} match the tree`)

function checkPaths(doc) {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n')
  // A bare file name (`media-type.ts`) is read in the folder of the last full path named before
  // it, or in one of that folder's parents (`messages.ts` after `src/portal/routes/*.tsx`).
  let lastFolder
  lines.forEach((line, index) => {
    for (const [, quoted] of line.matchAll(/`([^`\n]+)`/g)) {
      const candidate = pathOf(quoted)
      if (!candidate) continue
      const where = `${doc}:${index + 1}`
      if (candidate.includes('/')) {
        if (!pathExists(candidate)) problems.push(`${where} names ${candidate}, which does not exist`)
        lastFolder = candidate.endsWith('/') ? candidate : dirname(candidate)
        continue
      }
      if (!foldersUp(lastFolder).some((folder) => pathExists(join(folder, candidate)))) {
        problems.push(`${where} names ${candidate}, not found in ${lastFolder ?? '.'}/ or above`)
      }
    }
  })
}

// The path inside a backquoted span, or undefined when the span is no repository path.
function pathOf(quoted) {
  const first = quoted.trim().split(/\s+/)[0].replace(/[#:].*$/, '').replace(/[),.;]+$/, '')
  if (first.includes('<') || /^[a-z]+:\/\//.test(first)) return undefined
  if (first.includes('/')) {
    return TOP_FOLDERS.includes(first.split('/')[0]) ? first : undefined
  }
  return FILE_NAME.test(first) && !first.startsWith('.') ? first : undefined
}

function foldersUp(folder) {
  const folders = ['.']
  for (let at = folder; at && at !== '.' && at !== '/'; at = dirname(at)) folders.unshift(at)
  return folders
}

function pathExists(path) {
  if (!path.includes('*')) return existsSync(join(root, path))
  // One `*` level inside a file name, as in src/portal/routes/*.tsx.
  const folder = join(root, dirname(path))
  if (!existsSync(folder)) return false
  const pattern = new RegExp(`^${basename(path).split('*').map(escape).join('.*')}$`)
  return readdirSync(folder).some((name) => pattern.test(name))
}

function escape(text) {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}

function checkLayers() {
  const rules = readFileSync(join(root, 'docs/rules.md'), 'utf8').replace(/\s+/g, ' ')
  const sentence = LAYER_SENTENCE.exec(rules)
  if (!sentence) {
    problems.push('docs/rules.md has no sentence "The core folders, lowest first: `a`, `b`, …."')
    return
  }
  const documented = [...sentence[1].matchAll(/`([^`]+)`/g)].map((match) => match[1])
  const enforced = enforcedLayers()
  if (documented.join(',') !== enforced.join(',')) {
    problems.push(
      `docs/rules.md lists the core folders ${documented.join(', ')}; ` +
        `.dependency-cruiser.cjs enforces ${enforced.join(', ')}`,
    )
  }
  for (const layer of enforced) {
    if (!existsSync(join(root, 'src/core', layer))) problems.push(`layer ${layer} has no folder src/core/${layer}/`)
  }
}

// The CORE_LAYERS array of .dependency-cruiser.cjs, read as text: the file is dependency-cruiser's
// configuration, not a module of ours to extend.
function enforcedLayers() {
  const text = readFileSync(join(root, '.dependency-cruiser.cjs'), 'utf8')
  const list = /const CORE_LAYERS = \[([^\]]*)\]/.exec(text)
  if (!list) throw new Error('.dependency-cruiser.cjs has no CORE_LAYERS array')
  return [...list[1].matchAll(/'([^']+)'/g)].map((match) => match[1])
}

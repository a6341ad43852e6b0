// The access log owns its tables (docs/rules.md#access-log-integrity): no file under src/ outside
// src/core/access-log/ may name access_log, access_log_personal, access_log_tree, access_log_tree_head or checkpoints
// in a string, a Kysely table reference or SQL text. Comments may talk about them. Run by
// `npm run lint:deps`; `node scripts/check-table-owners.mjs [root]` checks another tree (tests).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const TABLES = ['access_log_tree_head', 'access_log_tree', 'access_log_personal', 'access_log', 'checkpoints']
const OWNER = 'src/core/access-log/'
// The Kysely table types describe every table; they own none. (The schema is schema.sql.)
const ALLOWED = new Set(['src/core/db/tables.ts'])

const names = TABLES.join('|')
// A whole string that is the table, a column of it or the table with an alias: 'access_log',
// 'access_log.id', "checkpoints", 'access_log as first'.
const quoted = new RegExp(`(['"\`])(${names})(\\.[A-Za-z_*]+|\\s+as\\s+\\w+)?\\1`, 'g')
// SQL text naming the table after a keyword: `from access_log a`, `insert into "checkpoints"`.
const inSql = new RegExp(`\\b(from|join|into|update|table)\\s+"?(${names})"?(?![\\w])`, 'gi')

/** The source with its comments blanked out (newlines kept, so line numbers hold). */
export function withoutComments(source) {
  let out = ''
  let i = 0
  // The open quotes, innermost last; '}' marks a `${` inside a template.
  const stack = []
  while (i < source.length) {
    const c = source[i]
    const top = stack.at(-1)
    if (top === "'" || top === '"' || top === '`') {
      out += c
      if (c === '\\') {
        out += source[i + 1] ?? ''
        i += 2
        continue
      }
      if (c === top) stack.pop()
      else if (top === '`' && c === '$' && source[i + 1] === '{') {
        out += '{'
        stack.push('}')
        i += 2
        continue
      }
      i++
      continue
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') {
        out += ' '
        i++
      }
      continue
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2)
      const stop = end === -1 ? source.length : end + 2
      out += source.slice(i, stop).replace(/[^\n]/g, ' ')
      i = stop
      continue
    }
    if (c === "'" || c === '"' || c === '`') stack.push(c)
    else if (c === '{' && top === '}') stack.push('{')
    else if (c === '}' && (top === '}' || top === '{')) stack.pop()
    out += c
    i++
  }
  return out
}

/** Every `{ file, line, table }` under `root`/src that names an access-log table outside its owner. */
export function findViolations(root) {
  const found = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name)) check(path)
    }
  }
  const check = (path) => {
    const file = relative(root, path).split(sep).join('/')
    if (file.startsWith(OWNER) || ALLOWED.has(file)) return
    const lines = withoutComments(readFileSync(path, 'utf8')).split('\n')
    lines.forEach((text, index) => {
      const tables = new Set([...text.matchAll(quoted), ...text.matchAll(inSql)].map((match) => match[2].toLowerCase()))
      for (const table of tables) found.push({ file, line: index + 1, table })
    })
  }
  walk(join(root, 'src'))
  return found
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
  const violations = findViolations(root)
  for (const v of violations) {
    console.error(`${v.file}:${v.line}: names the table ${v.table}; only ${OWNER} may (call its reads/ or checkpoints/ instead)`)
  }
  if (violations.length > 0) {
    console.error(`check-table-owners: ${violations.length} reference${violations.length === 1 ? '' : 's'} to access-log tables outside ${OWNER}`)
    process.exit(1)
  }
}

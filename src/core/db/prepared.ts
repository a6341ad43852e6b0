import { createHash } from 'node:crypto'
import type { Compilable, CompiledQuery } from 'kysely'
import type { Db } from './handle.js'

// Hot-path queries (every portal download runs them) built and compiled by Kysely once per
// dialect instead of on every request: Kysely stays the one way queries are written, and
// the per-request cost drops to substituting parameter values (docs/decisions.md, "Download speed
// (issue 13)"). On SQLite the statement cache of database.ts then prepares the SQL once; on
// PostgreSQL the statement gets a name (postgres.ts), so each connection parses and plans it once.

const MARK = '\u0000confi-parameter-'

const named = new Map<string, string>()

/** The server-side name of a hot statement's SQL text on PostgreSQL, or undefined for the rest. */
export function preparedStatementName(sql: string): string | undefined {
  return named.get(sql)
}

interface Compiled<Row> {
  query: CompiledQuery<Row>
  /** For each parameter of the compiled SQL: the index of the caller's argument, or -1 (a constant). */
  slots: number[]
}

function compileOnce<Args extends unknown[], Row>(
  db: Db,
  build: (db: Db, ...args: Args) => Compilable<Row>,
  arity: number,
): Compiled<Row> {
  // Built with a marker per argument, so its position among the compiled parameters is known.
  const markers = Array.from({ length: arity }, (_, i) => `${MARK}${i}`) as unknown as Args
  const query = build(db, ...markers).compile()
  const slots = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? Number(p.slice(MARK.length)) : -1))
  for (let i = 0; i < arity; i++) {
    if (!slots.includes(i)) throw new Error(`prepared query: argument ${i} does not reach the SQL as a parameter`)
  }
  if (query.sql.includes('$1')) named.set(query.sql, `confi_${createHash('sha256').update(query.sql).digest('hex').slice(0, 16)}`)
  return { query, slots }
}

/**
 * A query run with different values and the same shape every time: `build` receives the handle
 * and the arguments and returns a Kysely query whose arguments appear only as plain values
 * (no `in` lists, no values that change the SQL).
 */
export function preparedQuery<Args extends unknown[], Row>(
  arity: Args['length'],
  build: (db: Db, ...args: Args) => Compilable<Row>,
): (db: Db, ...args: Args) => Promise<Row[]> {
  // Keyed by the dialect's adapter, which a handle shares with its transactions: the SQL
  // depends only on the dialect, and a transaction must not compile again.
  const cache = new WeakMap<object, Compiled<Row>>()
  return async (db, ...args) => {
    const adapter = db.getExecutor().adapter
    let compiled = cache.get(adapter)
    if (!compiled) {
      compiled = compileOnce(db, build, arity)
      cache.set(adapter, compiled)
    }
    const { query, slots } = compiled
    const parameters = query.parameters.map((value, i) => (slots[i] < 0 ? value : args[slots[i]]))
    return (await db.executeQuery<Row>({ ...query, parameters })).rows
  }
}

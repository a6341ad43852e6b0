import { createHash } from 'node:crypto'
import { PostgresAdapter, sql, type Compilable, type CompiledQuery, type RawBuilder } from 'kysely'
import type { Db } from './handle.js'

// Hot-path queries (every portal download runs them) built and compiled by Kysely once per
// dialect instead of on every request: Kysely stays the one way queries are written, and
// the per-request cost drops to substituting parameter values (docs/decisions.md, "Download speed
// (issue 13)"). On SQLite the statement cache of sqlite/sqlite-database.ts then prepares the SQL
// once; on PostgreSQL the statement gets a name (postgres/postgres-database.ts), so each
// connection parses and plans it once.

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

const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter

/**
 * The rows of a JSON array of objects (one parameter) as a select of `columns` of `table`, typed
 * by the table's row type: on PostgreSQL a whole group of rows goes into one statement whose text
 * never changes, so it is prepared once however many rows the group holds.
 */
export function jsonRows(table: string, columns: readonly string[], json: unknown, after?: string): RawBuilder<unknown> {
  const rows = sql`select ${sql.join(columns.map((c) => sql.ref(c)))} from json_populate_recordset(null::${sql.table(table)}, ${json}::json)`
  // `after`: a one-row CTE that must be evaluated before any of these rows is produced (a lock).
  return after ? sql`${rows} cross join ${sql.table(after)}` : rows
}

// SQLite: statements of 64, 8 and 1 rows. SQLite parses JSON per column (json_each with ->> cost
// half as much again as a prepared insert a row), while a multi-row VALUES costs the same as
// single inserts in one call (docs/decisions.md, "Append speed (issue 13)").
const CHUNKS = [64, 8, 1]

/**
 * Inserts rows into `table` through statements compiled once (docs/decisions.md, "Append speed
 * (issue 13)"): one JSON statement on PostgreSQL, a few multi-row statements on SQLite.
 */
export function preparedInsert<Row extends Record<string, unknown>>(
  table: string,
  columns: readonly (keyof Row & string)[],
): (db: Db, rows: readonly Row[]) => Promise<void> {
  const json = preparedQuery(1, (db: Db, rows: string) =>
    // Untyped here: the caller's Row type is what is checked against its table.
    (db as any).insertInto(table).columns(columns).expression(jsonRows(table, columns, rows)),
  )
  const chunked = CHUNKS.map((size) =>
    preparedQuery(size * columns.length, (db: Db, ...values: unknown[]) =>
      (db as any).insertInto(table).values(
        Array.from({ length: size }, (_, r) => Object.fromEntries(columns.map((c, i) => [c, values[r * columns.length + i]]))),
      ),
    ),
  )
  return async (db, rows) => {
    if (rows.length === 0) return
    if (isPostgres(db)) return void (await json(db, JSON.stringify(rows)))
    let at = 0
    for (const [k, size] of CHUNKS.entries()) {
      for (; at + size <= rows.length; at += size) {
        const values: unknown[] = []
        for (let r = at; r < at + size; r++) for (const column of columns) values.push(rows[r][column])
        await chunked[k](db, ...values)
      }
    }
  }
}

import { sql } from 'kysely'
import { backendOf, type Db } from '../../src/core/db/database.js'

/**
 * Every text column of every table of the database (SQLite: sqlite_master and table_info;
 * PostgreSQL: information_schema), as [table, column].
 */
export async function textColumns(db: Db): Promise<[string, string][]> {
  if (backendOf(db) === 'postgres') {
    const rows = await sql<{ table_name: string; column_name: string }>`select c.table_name, c.column_name
      from information_schema.columns c join information_schema.tables t
        on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = current_schema() and c.data_type in ('text', 'character varying', 'character')`.execute(db)
    return rows.rows.map((r) => [r.table_name, r.column_name])
  }
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
  const out: [string, string][] = []
  for (const { name } of tables.rows) {
    const columns = await sql<{ name: string; type: string }>`select name, type from pragma_table_info(${name})`.execute(db)
    // Every column: SQLite stores text in a column of any declared type.
    for (const c of columns.rows) out.push([name, c.name])
  }
  return out
}

/** Where in the database (table.column) each of `needles` still appears as text. */
export async function findText(db: Db, needles: readonly string[]): Promise<string[]> {
  const found: string[] = []
  const postgres = backendOf(db) === 'postgres'
  for (const [table, column] of await textColumns(db)) {
    for (const needle of needles) {
      const col = sql.ref(column)
      const test = postgres ? sql`strpos(${col}::text, ${needle}) > 0` : sql`instr(cast(${col} as text), ${needle}) > 0`
      const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where ${test}`.execute(db)
      if (Number(r.rows[0].n) > 0) found.push(`${table}.${column}: ${needle}`)
    }
  }
  return found
}

import type { Kysely } from 'kysely'
import type { Database } from './tables.js'

// The shapes of an open database, shared by database.ts and each backend's folder (sqlite/,
// postgres/) without a backend importing the module that dispatches to it.

export type Db = Kysely<Database>
export type Backend = 'sqlite' | 'postgres'

// Where the database is belongs to the application's configuration, read before any database opens.
export type { DatabaseTarget } from '../config/app-config.js'

export interface OpenDatabase {
  db: Db
  backend: Backend
  /** Where the database is, safe to print (no credentials). */
  location: string
  /**
   * Applies one version's multi-statement script and records the version, in one transaction and
   * only if no other process recorded it first; returns whether it ran.
   */
  applySchemaStep(version: number, script: string): Promise<boolean>
  /**
   * SQLite only: a read-only connection of its own, for bulk reads that format rows inside SQL
   * (the access-log export's fast path, docs/performance.md).
   */
  openReader?(): SqliteReader
  /**
   * PostgreSQL only: the rows of `query` as the server writes them with
   * `COPY (query) TO STDOUT WITH (FORMAT csv)`, formatted in C (the access-log export's fast
   * path, docs/performance.md); chunks end anywhere, even inside a character.
   */
  copyCsv?(query: CsvQuery, delimiter: ',' | ';'): AsyncIterable<Buffer>
  close(): Promise<void>
}

/** A compiled SELECT for copyCsv: its `$n` parameters may only be numbers and strings. */
export interface CsvQuery {
  sql: string
  parameters: readonly unknown[]
}

/** A raw read-only SQLite connection: statements with positional parameters, one snapshot. */
export interface SqliteReader {
  /** Starts the read transaction whose snapshot every later read sees. */
  begin(): void
  /**
   * Prepares a statement once; `get` runs it and returns its first row, `pluck().iterate` steps
   * through the first column of every row without building a row object.
   */
  prepare(text: string): { get(...params: unknown[]): unknown; pluck(): { iterate(...params: unknown[]): IterableIterator<unknown> } }
  close(): void
}

/**
 * Bulk reads as arrays of column values, on a read-only connection of its own (row-reader.ts).
 */
export interface RowReader {
  /** The rows of one compiled statement, each as an array of its columns in SELECT order. */
  rows(text: string, parameters: readonly unknown[]): Promise<unknown[][]>
  close(): Promise<void>
}

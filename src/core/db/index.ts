// The public face of src/core/db/, the database: opening either backend, the schema, prepared
// statements and the table types. Only re-exports: modules inside core import each other directly,
// never a face, so a face closes no import cycle (docs/rules.md#architecture).
export {
  backendOf,
  type DatabaseTarget,
  type Db,
  openDatabase,
  type OpenDatabase,
  type SqliteReader,
  takeLock,
} from './database.js'
export { jsonRows, preparedInsert, preparedQuery } from './prepared.js'
export { openRowReader, type RowReader } from './row-reader.js'
export { applySchema, assertSchemaCurrent } from './schema.js'
export { openSqliteHandle } from './sqlite/sqlite-database.js'
export { openSqliteForCheck } from './sqlite/sqlite-read-only.js'
export {
  type AccessLogTable,
  type AttachmentsTable,
  type ClientsTable,
  type ClientUsersTable,
  type Database,
  type DeliveriesTable,
  type DocumentsTable,
  type FirmOptionsTable,
  type OutboxTable,
} from './tables.js'

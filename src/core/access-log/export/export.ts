/**
 * access-log/: the append-only, hash-chained log of who opened which document (log.ts) and its
 * export. export.ts runs an export; columns.ts maps the columns every format and reader share;
 * csv-dialect.ts says how CSV is shaped for Excel pt-BR; filter.ts turns filters into the one WHERE; export-batches.ts (Kysely), export-sqlite.ts and
 * export-postgres.ts read rows; export-format.ts and export-sinks.ts write them; export-state.ts
 * keeps an incremental export exactly-once.
 */
import { renameSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { sql } from 'kysely'
import { type Db, type OpenDatabase, type SqliteReader } from '../../db/database.js'
import { ConflictError } from '../../errors.js'
import { syncDirectory, unwritable } from '../../storage/durable-files.js'
import { CSV_COLUMNS } from './columns.js'
import { csvDialect } from './csv-dialect.js'
import { keysetBatches, kyselyReader, type Batch } from './batches.js'
import { rowFormatter, SEPARATORS, tableHeader, type ExportFormat } from './format.js'
import { postgresCsvBatches } from './postgres.js'
import { fileSink, streamSink, type ExportTarget, type FileSink, type Sink } from './sinks.js'
import { sqliteBatches, sqliteHeadId } from './sqlite.js'
import {
  identity,
  lockExportState,
  readExportState,
  recoverPending,
  safeFstat,
  writeExportState,
  type ExportState,
  type PendingAppend,
} from './state.js'
import { filterWhere, parseTimeZone, type AccessLogFilters } from './filter.js'
import { headRowId, type ProgressCallback } from '../chain/walk.js'
import { escapeUnsafeInLines, escapeUnsafeInUtf8Bytes } from '../../text-input.js'

export interface ExportOptions {
  filters: AccessLogFilters
  format: ExportFormat
  target: ExportTarget
  /** IANA time zone of the table format (default America/Sao_Paulo). */
  timeZone?: string
  /**
   * CSV header row. Default: written, except when an incremental export appends to a stream
   * whose earlier runs (the state file exists) already wrote it, so `>> file.csv` keeps one; an
   * empty file gets it all the same.
   */
  header?: boolean
  /** Incremental export: the file holding the last exported id. */
  statePath?: string
  /** Rows per batch crossing from the database into JavaScript. */
  batchSize?: number
  /**
   * Format every row in JavaScript even where the database could (tests compare both paths).
   * Otherwise the export picks the fastest reader the database offers by itself.
   */
  portable?: boolean
  /** CSV for Excel pt-BR: `;` between cells and a UTF-8 byte-order mark (csv-dialect.ts). */
  excel?: boolean
  /** Rows written of the rows to export, after each batch (the rows are counted first only when set). */
  onProgress?: ProgressCallback
}

export interface ExportResult {
  rows: number
  /** The id the next incremental export starts after. */
  lastId: number
  /** Notes for the person running the export (recoveries done). */
  notes: string[]
}

/**
 * Exports the access log in `format`, streaming in batches with constant memory. With
 * `statePath` the export is incremental and exactly-once: see docs/access-log.md.
 */
export async function exportAccessLog(open: OpenDatabase, options: ExportOptions): Promise<ExportResult> {
  const zone = parseTimeZone(options.timeZone ?? 'America/Sao_Paulo')
  if (!options.statePath) return exportLocked(open, options, zone, null)
  // Held from before the state is read until after it is rewritten: a second run reading the
  // first one's pending record would take it for an interrupted run and cut its output.
  const release = lockExportState(options.statePath)
  try {
    return await exportLocked(open, options, zone, readExportState(options.statePath))
  } finally {
    release()
  }
}

// The SQLite fast path formats CSV and JSON inside SQL on a connection of its own; the table is
// for people and always formatted in JavaScript.
function fastReader(open: OpenDatabase, options: ExportOptions): SqliteReader | null {
  if (options.portable || options.format === 'table' || !open.openReader) return null
  return open.openReader()
}

async function exportLocked(
  open: OpenDatabase,
  options: ExportOptions,
  zone: string,
  saved: ExportState | null,
): Promise<ExportResult> {
  const notes: string[] = []
  let state: ExportState | null = null
  if (options.statePath) {
    state = recoverPending(saved ?? { lastId: 0, lastHash: null, pending: null }, options.target, notes)
    await checkStillThere(open.db, state, options.statePath)
  }
  const header = options.header ?? (saved === null || options.target.kind === 'file' || startsEmptyFile(options.target))
  const afterId = Math.max(options.filters.afterId ?? 0, state?.lastId ?? 0)
  const reader = fastReader(open, options)
  try {
    // Rows up to the head at the start, read in one snapshot: ids are appended in commit order
    // (serialised appends), so nothing at or below it can appear later.
    reader?.begin()
    const upperBound = reader ? sqliteHeadId(reader) : await headRowId(open.db)
    const sink = options.target.kind === 'file' ? fileSink(options.target.path) : streamSink(options.target.stream, options.target.fd)
    try {
      if (options.statePath && state) {
        state.pending = appendPending(options.target)
        writeExportState(options.statePath, state)
      }
      const range = { afterId, upperBound }
      const rows = await writeRows(open, reader, sink, { ...options, header }, zone, range)
      await sink.finish()
      const lastId = Math.max(afterId, upperBound)
      const lastHash = options.statePath ? await hashOf(open.db, lastId) : null
      await placeOutput(options, sink, state, lastId, lastHash)
      if (options.statePath) writeExportState(options.statePath, { lastId, lastHash, pending: null })
      return { rows, lastId, notes }
    } catch (error) {
      sink.abort()
      throw error
    }
  } finally {
    reader?.close()
  }
}

// A continued export appending to a file leaves the header out, since the file has it already,
// unless the file is empty: after a killed first run was cut back to nothing, or a rotation.
function startsEmptyFile(target: ExportTarget): boolean {
  if (target.kind !== 'stream' || target.fd === undefined) return false
  const stats = safeFstat(target.fd)
  return Boolean(stats?.isFile() && stats.size === 0n)
}

function appendPending(target: ExportTarget): PendingAppend | null {
  if (target.kind !== 'stream' || target.fd === undefined) return null
  const stats = safeFstat(target.fd)
  if (!stats?.isFile()) return null
  return { kind: 'append', ...identity(stats), offset: Number(stats.size) }
}

// For --output: record where the finished rows go before renaming, so a kill right after the
// rename still counts them as exported.
async function placeOutput(
  options: ExportOptions,
  sink: Sink,
  state: ExportState | null,
  lastId: number,
  lastHash: string | null,
): Promise<void> {
  if (options.target.kind !== 'file') return
  const { tempPath } = sink as FileSink
  const path = options.target.path
  if (options.statePath && state) {
    const stats = statSync(tempPath, { bigint: true })
    writeExportState(options.statePath, {
      lastId: state.lastId,
      lastHash: state.lastHash,
      pending: { kind: 'replace', path, tempPath, ...identity(stats), to: lastId, toHash: lastHash },
    })
  }
  try {
    renameSync(tempPath, path)
  } catch (error) {
    throw unwritable('the output file', path, error, 'output_file')
  }
  syncDirectory(dirname(path))
}

async function hashOf(db: Db, id: number): Promise<string | null> {
  if (id === 0) return null
  const row = await db.selectFrom('access_log').select('hash').where('id', '=', id).executeTakeFirst()
  return row?.hash ?? null
}

// Rows the last run exported must still be there, unchanged: otherwise the ids after them may be
// reused by new rows, and continuing after the old id would silently skip those.
async function checkStillThere(db: Db, state: ExportState, statePath: string): Promise<void> {
  if (state.lastId === 0 || state.lastHash === null) return
  const hash = await hashOf(db, state.lastId)
  if (hash === state.lastHash) return
  const what = hash === null ? `row ${state.lastId} is gone` : `row ${state.lastId} has another hash`
  throw new ConflictError(
    `the access log was cut or restored from an older copy since the last export (${what}; ${statePath} records it): run 'confi docs verify' and keep the exports made so far`,
  )
}

// The rows at or below the upper bound never change (append-only), so a count on the main
// connection matches what the reader's snapshot will return.
async function countRows(db: Db, filters: AccessLogFilters, { afterId, upperBound }: IdRange): Promise<number> {
  const row = await db
    .selectFrom('access_log as a')
    .select(sql<number>`count(*)`.as('n'))
    .where(sql<boolean>`a.id > ${afterId}`)
    .where(filterWhere(filters, upperBound))
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}

/** The ids an export covers: above `afterId`, up to and including `upperBound`. */
interface IdRange {
  afterId: number
  upperBound: number
}

async function writeRows(
  open: OpenDatabase,
  reader: SqliteReader | null,
  sink: Sink,
  options: ExportOptions,
  zone: string,
  range: IdRange,
): Promise<number> {
  const { format } = options
  const separator = SEPARATORS[format]
  // Small batches keep each string in V8’s young generation (under ~128 KB), so it is freed by
  // cheap scavenges and RSS stays flat; fewer, larger batches measured no faster.
  const batchSize = options.batchSize ?? (reader ? 400 : 1000)
  const { db } = open
  const batches = readBatches(open, reader, options, zone, range, batchSize)
  const dialect = csvDialect(options.excel)
  if (format === 'csv' && options.header !== false) {
    await sink.write(`${dialect.prefix}${CSV_COLUMNS.join(dialect.delimiter)}\r\n`)
  }
  if (format === 'table') await sink.write(`${tableHeader()}\n`)
  if (format === 'json') await sink.write('[\n')
  const total = options.onProgress ? await countRows(db, options.filters, range) : 0
  let rows = 0
  for await (const batch of batches) {
    const lead = format === 'json' && rows > 0 ? ',\n' : ''
    const tail = format === 'json' ? '' : separator
    // Stored text reaches a terminal or a spreadsheet with no control or invisible character raw
    // (docs/rules.md#text-input), whichever path formatted it: one pass over the batch.
    const text = batch.latin1 ? escapeUnsafeInUtf8Bytes(batch.text) : escapeUnsafeInLines(batch.text)
    await sink.write(lead + text + tail, batch.latin1 ? 'latin1' : 'utf8')
    rows += batch.rows
    options.onProgress?.(rows, Math.max(total, rows))
  }
  if (format === 'json') await sink.write(rows > 0 ? '\n]\n' : ']\n')
  return rows
}

function readBatches(
  { db, copyCsv }: OpenDatabase,
  reader: SqliteReader | null,
  options: ExportOptions,
  zone: string,
  { afterId, upperBound }: IdRange,
  batchSize: number,
): Iterable<Batch> | AsyncIterable<Batch> {
  const { format, filters } = options
  const separator = SEPARATORS[format]
  const { delimiter } = csvDialect(options.excel)
  if (reader && format !== 'table') {
    return sqliteBatches(db, reader, filters, afterId, upperBound, format, separator, delimiter, batchSize)
  }
  // JSON stays formatted in JavaScript on PostgreSQL: its json text differs from JSON.stringify.
  if (format === 'csv' && !options.portable && copyCsv) {
    return postgresCsvBatches(copyCsv, db, filters, afterId, upperBound, separator, delimiter)
  }
  const read = kyselyReader(db, filters, upperBound, rowFormatter(format, zone, delimiter), separator)
  return keysetBatches(read, afterId, batchSize)
}

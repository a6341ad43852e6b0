import { once } from 'node:events'
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  fchmodSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import type { Writable } from 'node:stream'
import BetterSqlite3 from 'better-sqlite3'
import { sql } from 'kysely'
import { backendOf, type Backend, type Db } from '../db/database.js'
import { ConfiError, ValidationError } from '../errors.js'
import { syncDirectory, tempNameFor, unwritable } from '../storage/durable-files.js'
import {
  identity,
  lockExportState,
  readExportState,
  recoverPending,
  safeFstat,
  writeExportState,
  type ExportState,
  type PendingAppend,
} from './export-state.js'
import { formatTaxId } from '../clients/tax-id.js'
import { csvDialect, type CsvDialect } from './csv-dialect.js'
import { PRIVATE_FILE_MODE } from '../storage/file-modes.js'

export type ExportFormat = 'table' | 'csv' | 'json' | 'ndjson'
export const EXPORT_FORMATS: readonly ExportFormat[] = ['table', 'csv', 'json', 'ndjson']

/** The CSV columns, in order: a contract with the scripts that read the export (docs/rules.md#command-line). */
export const CSV_COLUMNS = [
  'id',
  'at',
  'client_tax_id',
  'client_name',
  'document_id',
  'document_title',
  'attachment',
  'channel',
  'username',
  'user_name',
  'ip',
  'user_agent',
  'action',
  'hash',
] as const

/** The keys of each JSON/NDJSON row: every field of the row, so the chain can be re-verified. */
export const JSON_KEYS = [
  'id',
  'at',
  'client_id',
  'client_tax_id',
  'client_name',
  'document_id',
  'document_title',
  'attachment_id',
  'attachment',
  'channel',
  'delivery_id',
  'user_id',
  'username',
  'user_name',
  'ip',
  'port',
  'user_agent',
  'action',
  'prev_hash',
  'hash',
] as const

export interface AccessLogFilters {
  clientId?: number
  documentId?: number
  userId?: number
  /** UTC ISO 8601, inclusive. */
  since?: string
  /** UTC ISO 8601, exclusive. */
  until?: string
  /** Only rows with a greater id. */
  afterId?: number
}

/** Where the export goes: a stream (stdout; give its fd to make `>>` appends exact) or a file. */
export type ExportTarget =
  | { kind: 'stream'; stream: Writable; fd?: number }
  | { kind: 'file'; path: string }

export interface ExportOptions {
  filters: AccessLogFilters
  format: ExportFormat
  target: ExportTarget
  /** IANA time zone of the table format (default America/Sao_Paulo). */
  timeZone?: string
  /**
   * CSV header row. Default: written, except when an incremental export appends to a stream
   * whose earlier runs (the state file exists) already wrote it, so `>> file.csv` keeps one.
   */
  header?: boolean
  /** Incremental export: the file holding the last exported id. */
  statePath?: string
  /** SQLite file of `db`: enables the fast path (rows formatted inside SQL, own read-only connection). */
  sqlitePath?: string
  /** Rows per batch crossing from the database into JavaScript. */
  batchSize?: number
  /** Format every row in JavaScript even where the database could (tests compare both paths). */
  portable?: boolean
  /** CSV for Excel pt-BR: `;` between cells and a UTF-8 byte-order mark (csv-dialect.ts). */
  excel?: boolean
}

export interface ExportResult {
  rows: number
  /** The id the next incremental export starts after. */
  lastId: number
  /** Notes for the person running the export (recoveries done). */
  notes: string[]
}

type ExportRow = Record<(typeof JSON_KEYS)[number], string | number | null>

// ---------------------------------------------------------------- times and zones

/** Throws unless `zone` is an IANA time zone this Node knows. */
export function parseTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return zone
  } catch {
    throw new ValidationError(`unknown time zone '${zone}': use an IANA name such as America/Sao_Paulo or UTC`)
  }
}

function zoneOffsetMs(epochMs: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMs))
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return asUtc - Math.floor(epochMs / 1000) * 1000
}

function zonedToEpoch(fields: number[], zone: string): number {
  const [y, mo, d, h = 0, mi = 0, s = 0, ms = 0] = fields
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms)
  const first = wall - zoneOffsetMs(wall, zone)
  return wall - zoneOffsetMs(first, zone)
}

/**
 * A `--since`/`--until` bound as UTC ISO. A date (`2026-11-01`) or a time without offset is read
 * in `zone`; a time with `Z` or an offset is taken as is. For `until` the bound is inclusive: a
 * date covers its whole day. Returns the exclusive upper bound for `until`.
 */
export function parseTimeBound(value: string, zone: string, which: 'since' | 'until'): string {
  const text = value.trim()
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  const local = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(text)
  let epoch: number
  if (date) {
    const fields = date.slice(1).map(Number)
    if (!realDate(fields)) throw badTime(value, which)
    epoch = zonedToEpoch(which === 'until' ? nextDay(fields) : fields, zone)
    return new Date(epoch).toISOString()
  }
  if (local) {
    const fields = local.slice(1).map((v, i) => (i === 6 && v ? Number(v.padEnd(3, '0')) : Number(v ?? 0)))
    if (!realDate(fields)) throw badTime(value, which)
    epoch = zonedToEpoch(fields, zone)
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    epoch = Date.parse(text)
  } else {
    throw badTime(value, which)
  }
  if (Number.isNaN(epoch)) throw badTime(value, which)
  return new Date(which === 'until' ? epoch + 1 : epoch).toISOString()
}

function realDate([y, m, d]: number[]): boolean {
  const date = new Date(Date.UTC(y, m - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}

function nextDay([y, m, d]: number[]): number[] {
  const date = new Date(Date.UTC(y, m - 1, d + 1))
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]
}

function badTime(value: string, which: string): ValidationError {
  return new ValidationError(
    `--${which} '${value}' is not a date or time: use YYYY-MM-DD, 'YYYY-MM-DD HH:MM' (local time) or ISO 8601 with an offset`,
  )
}

// ---------------------------------------------------------------- formatting in JavaScript

const FORMULA_START = /^[=+\-@\t\r]/

/** One CSV cell: formula-leading text neutralised with `'` (docs/rules.md#portal-security), then RFC 4180 quoting. */
export function csvCell(value: string | number | null): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  // `;` too: Excel pt-BR splits on it, so `Mozilla/5.0;=1+1` would become a formula cell.
  return /[",;\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

function csvLine(row: ExportRow, delimiter: string): string {
  return CSV_COLUMNS.map((column) => csvCell(row[column])).join(delimiter)
}

function jsonLine(row: ExportRow): string {
  const ordered: Record<string, unknown> = {}
  for (const key of JSON_KEYS) ordered[key] = row[key]
  return JSON.stringify(ordered)
}

const TABLE_COLUMNS: { header: string; width: number; value: (row: ExportRow, zone: string) => string }[] = [
  { header: 'ID', width: 8, value: (r) => String(r.id) },
  { header: 'WHEN', width: 19, value: (r, zone) => localTime(String(r.at), zone) },
  { header: 'CLIENT', width: 18, value: (r) => formatTaxId(String(r.client_tax_id)) },
  { header: 'DOCUMENT', width: 28, value: (r) => `${r.document_id} ${r.document_title}` },
  { header: 'FILE', width: 20, value: (r) => String(r.attachment ?? '') },
  { header: 'CHANNEL', width: 8, value: (r) => String(r.channel) },
  { header: 'USER', width: 16, value: (r) => String(r.username ?? '-') },
  { header: 'IP', width: 15, value: (r) => String(r.ip ?? '') },
  { header: 'ACTION', width: 8, value: (r) => String(r.action) },
]

function fit(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]/g, ' ')
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width)
}

// Fixed widths instead of a measured table: rows stream out without holding them all.
function tableLine(cells: string[]): string {
  return cells.map((cell, i) => fit(cell, TABLE_COLUMNS[i].width)).join('  ').trimEnd()
}

const localFormats = new Map<string, Intl.DateTimeFormat>()

/** An ISO time as `YYYY-MM-DD HH:MM:SS` in `zone`, for people. */
export function localTime(iso: string, zone: string): string {
  let format = localFormats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    localFormats.set(zone, format)
  }
  return format.format(new Date(iso))
}

// ---------------------------------------------------------------- reading rows

interface Batch {
  /** The formatted text of the batch, lines joined by the format's separator. */
  text: string
  rows: number
}

/** A batch read by id range: the next one starts after `lastId`. */
interface KeysetBatch extends Batch {
  lastId: number
}

type BatchReader = (afterId: number, limit: number) => Promise<KeysetBatch | null>

/** The portable path (PostgreSQL, and tables): Kysely, keyset batches, formatted in JavaScript. */
function kyselyReader(db: Db, filters: AccessLogFilters, upperBound: number, format: (row: ExportRow) => string, separator: string): BatchReader {
  return async (afterId, limit) => {
    let query = db
      .selectFrom('access_log as a')
      .innerJoin('clients as c', 'c.id', 'a.client_id')
      .innerJoin('documents as d', 'd.id', 'a.document_id')
      .leftJoin('attachments as t', 't.id', 'a.attachment_id')
      .select([
        'a.id',
        'a.at',
        'a.client_id',
        'c.tax_id as client_tax_id',
        'c.name as client_name',
        'a.document_id',
        'd.title as document_title',
        'a.attachment_id',
        't.file_name as attachment',
        'a.channel',
        'a.delivery_id',
        'a.user_id',
        'a.username',
        'a.user_name',
        'a.ip',
        'a.port',
        'a.user_agent',
        'a.action',
        'a.prev_hash',
        'a.hash',
      ])
      .where('a.id', '>', afterId)
      .where('a.id', '<=', upperBound)
    if (filters.clientId !== undefined) query = query.where('a.client_id', '=', filters.clientId)
    if (filters.documentId !== undefined) query = query.where('a.document_id', '=', filters.documentId)
    if (filters.userId !== undefined) query = query.where('a.user_id', '=', filters.userId)
    if (filters.since) query = query.where('a.at', '>=', filters.since)
    if (filters.until) query = query.where('a.at', '<', filters.until)
    const rows = await query.orderBy('a.id').limit(limit).execute()
    if (rows.length === 0) return null
    const lines = rows.map((row) => format(normaliseRow(row as unknown as ExportRow)))
    return { text: lines.join(separator), rows: rows.length, lastId: Number(rows[rows.length - 1].id) }
  }
}

// PostgreSQL may hand back integers as strings; the export carries numbers.
function normaliseRow(row: ExportRow): ExportRow {
  for (const key of ['id', 'client_id', 'document_id', 'attachment_id', 'delivery_id', 'user_id', 'port'] as const) {
    if (row[key] !== null) row[key] = Number(row[key])
  }
  return row
}

// SQL that renders one CSV cell of a text column exactly like csvCell(), in either dialect.
function sqlCsvCell(column: string, backend: Backend): string {
  const chr = backend === 'postgres' ? 'chr' : 'char'
  const has = (needle: string) =>
    backend === 'postgres' ? `strpos(${column}, ${needle}) > 0` : `instr(${column}, ${needle})`
  const neutral = `(CASE WHEN substr(${column}, 1, 1) IN ('=', '+', '-', '@', ${chr}(9), ${chr}(13)) THEN '''' || ${column} ELSE ${column} END)`
  const quoted = [has("','"), has("';'"), has(`'"'`), has(`${chr}(10)`), has(`${chr}(13)`)].join(' OR ')
  return `(CASE WHEN ${column} IS NULL THEN '' WHEN ${quoted} THEN '"' || replace(${neutral}, '"', '""') || '"' ELSE ${neutral} END)`
}

function sqlCsvLine(backend: Backend, delimiter: string): string {
  return [
    'CAST(a.id AS TEXT)',
    'a.at',
    // Normalised on the way in: 11 or 14 of [0-9A-Z], nothing to quote or neutralise.
    'c.tax_id',
    sqlCsvCell('c.name', backend),
    'CAST(a.document_id AS TEXT)',
    sqlCsvCell('d.title', backend),
    sqlCsvCell('t.file_name', backend),
    'a.channel',
    sqlCsvCell('a.username', backend),
    sqlCsvCell('a.user_name', backend),
    // recordAccess accepts only IP addresses: nothing to quote or neutralise.
    "coalesce(a.ip, '')",
    sqlCsvCell('a.user_agent', backend),
    'a.action',
    'a.hash',
  ].join(` || '${delimiter}' || `)
}

const SQL_CSV_LINES = { ',': sqlCsvLine('sqlite', ','), ';': sqlCsvLine('sqlite', ';') }
const PG_CSV_LINES = { ',': sqlCsvLine('postgres', ','), ';': sqlCsvLine('postgres', ';') }

/**
 * The PostgreSQL counterpart of the SQLite fast path for CSV: lines formatted by the server and
 * read through one cursor in a read-only transaction, so the query is planned once and every
 * batch continues where the last ended (keyset batches re-planned per batch measured 3× slower).
 * Through Kysely's `sql`, as fixed statements.
 */
async function* postgresCsvBatches(
  db: Db,
  filters: AccessLogFilters,
  afterId: number,
  upperBound: number,
  separator: string,
  batchSize: number,
  delimiter: CsvDialect['delimiter'],
): AsyncGenerator<Batch> {
  const where = [sql`a.id > ${afterId}`, sql`a.id <= ${upperBound}`]
  if (filters.clientId !== undefined) where.push(sql`a.client_id = ${filters.clientId}`)
  if (filters.documentId !== undefined) where.push(sql`a.document_id = ${filters.documentId}`)
  if (filters.userId !== undefined) where.push(sql`a.user_id = ${filters.userId}`)
  if (filters.since) where.push(sql`a.at >= ${filters.since}`)
  if (filters.until) where.push(sql`a.at < ${filters.until}`)
  const trx = await db.startTransaction().setAccessMode('read only').execute()
  let next: Promise<{ rows: { line: string }[] }> | undefined
  let committed = false
  try {
    await sql`DECLARE confi_export NO SCROLL CURSOR FOR
      SELECT ${sql.raw(PG_CSV_LINES[delimiter])} AS line
      FROM access_log a
      JOIN clients c ON c.id = a.client_id
      JOIN documents d ON d.id = a.document_id
      LEFT JOIN attachments t ON t.id = a.attachment_id
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY a.id`.execute(trx)
    const fetch = () =>
      sql<{ line: string }>`FETCH ${sql.raw(String(batchSize))} FROM confi_export`.execute(trx)
    // One FETCH ahead: the server formats the next batch while this one is written.
    next = fetch()
    for (;;) {
      const { rows } = await next
      if (rows.length === 0) break
      next = fetch()
      yield { text: rows.map((r) => r.line).join(separator), rows: rows.length }
    }
    await trx.commit().execute()
    committed = true
  } finally {
    // Also when the consumer stops early (a write failed): settle the prefetch, end the cursor.
    if (!committed) {
      await next?.catch(() => {})
      await trx.rollback().execute().catch(() => {})
    }
  }
}

/** Keyset batches from a reader: each batch starts after the last id of the one before. */
async function* keysetBatches(read: BatchReader, afterId: number, batchSize: number): AsyncGenerator<Batch> {
  let cursor = afterId
  for (;;) {
    const batch = await read(cursor, batchSize)
    if (!batch) return
    yield batch
    cursor = batch.lastId
  }
}

const SQL_JSON_COLUMNS: Record<(typeof JSON_KEYS)[number], string> = {
  id: 'a.id',
  at: 'a.at',
  client_id: 'a.client_id',
  client_tax_id: 'c.tax_id',
  client_name: 'c.name',
  document_id: 'a.document_id',
  document_title: 'd.title',
  attachment_id: 'a.attachment_id',
  attachment: 't.file_name',
  channel: 'a.channel',
  delivery_id: 'a.delivery_id',
  user_id: 'a.user_id',
  username: 'a.username',
  user_name: 'a.user_name',
  ip: 'a.ip',
  port: 'a.port',
  user_agent: 'a.user_agent',
  action: 'a.action',
  prev_hash: 'a.prev_hash',
  hash: 'a.hash',
}

const SQL_JSON_LINE = `json_object(${JSON_KEYS.map((k) => `'${k}', ${SQL_JSON_COLUMNS[k]}`).join(', ')})`

/**
 * The SQLite fast path (docs/performance.md): rows are formatted inside SQL and a whole batch crosses into
 * JavaScript as one string, instead of one object per row; it runs on its own read-only
 * connection. Raw better-sqlite3 here because Kysely cannot aggregate a batch this way cheaply.
 */
function sqliteReader(
  handle: BetterSqlite3.Database,
  filters: AccessLogFilters,
  upperBound: number,
  format: 'csv' | 'json' | 'ndjson',
  separator: string,
  delimiter: CsvDialect['delimiter'],
): BatchReader {
  const where = ['a.id > @afterId', 'a.id <= @upperBound']
  if (filters.clientId !== undefined) where.push('a.client_id = @clientId')
  if (filters.documentId !== undefined) where.push('a.document_id = @documentId')
  if (filters.userId !== undefined) where.push('a.user_id = @userId')
  if (filters.since) where.push('a.at >= @since')
  if (filters.until) where.push('a.at < @until')
  const line = format === 'csv' ? SQL_CSV_LINES[delimiter] : SQL_JSON_LINE
  const statement = handle.prepare(`
    SELECT count(*) AS rows, max(id) AS lastId, group_concat(line, @separator ORDER BY id) AS text
    FROM (
      SELECT a.id AS id, ${line} AS line
      FROM access_log a
      JOIN clients c ON c.id = a.client_id
      JOIN documents d ON d.id = a.document_id
      LEFT JOIN attachments t ON t.id = a.attachment_id
      WHERE ${where.join(' AND ')}
      ORDER BY a.id
      LIMIT @limit
    )`)
  const params = {
    upperBound,
    separator,
    ...(filters.clientId !== undefined && { clientId: filters.clientId }),
    ...(filters.documentId !== undefined && { documentId: filters.documentId }),
    ...(filters.userId !== undefined && { userId: filters.userId }),
    ...(filters.since && { since: filters.since }),
    ...(filters.until && { until: filters.until }),
  }
  return async (afterId, limit) => {
    const result = statement.get({ ...params, afterId, limit }) as { rows: number; lastId: number; text: string }
    if (!result || result.rows === 0) return null
    return { text: result.text, rows: result.rows, lastId: result.lastId }
  }
}

// ---------------------------------------------------------------- sinks

interface Sink {
  write(text: string): Promise<void>
  /** Everything written is flushed (and fsynced when it is a file). */
  finish(): Promise<void>
  /** Removes what can be removed after a failure. */
  abort(): void
}

function streamSink(stream: Writable, fd: number | undefined): Sink {
  return {
    async write(text) {
      if (!stream.write(text)) await once(stream, 'drain')
    },
    async finish() {
      await new Promise<void>((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())))
      if (fd !== undefined && isRegularFd(fd)) fsyncSync(fd)
    },
    abort() {},
  }
}

function isRegularFd(fd: number): boolean {
  try {
    return fstatSync(fd).isFile()
  } catch {
    return false
  }
}


interface FileSink extends Sink {
  tempPath: string
  fd: number
}

// The output appears only when it is complete: written to a temporary file beside it, fsynced,
// renamed over the target.
function fileSink(path: string): FileSink {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new ValidationError(`--output ${path} is a directory: give a file name`)
  }
  const tempPath = tempNameFor(path)
  let fd: number
  try {
    fd = openSync(tempPath, 'wx', PRIVATE_FILE_MODE)
    fchmodSync(fd, PRIVATE_FILE_MODE)
  } catch (error) {
    throw unwritable('--output', path, error)
  }
  let open = true
  return {
    tempPath,
    fd,
    async write(text) {
      writeSync(fd, text)
    },
    async finish() {
      fsyncSync(fd)
      closeSync(fd)
      open = false
    },
    abort() {
      if (open) closeSync(fd)
      open = false
      try {
        unlinkSync(tempPath)
      } catch {
        // already gone
      }
    },
  }
}



// ---------------------------------------------------------------- the export

const SEPARATORS: Record<ExportFormat, string> = { csv: '\r\n', ndjson: '\n', json: ',\n', table: '\n' }

/**
 * Exports the access log in `format`, streaming in batches with constant memory. With
 * `statePath` the export is incremental and exactly-once: see docs/access-log.md.
 */
export async function exportAccessLog(db: Db, options: ExportOptions): Promise<ExportResult> {
  const zone = parseTimeZone(options.timeZone ?? 'America/Sao_Paulo')
  if (!options.statePath) return exportLocked(db, options, zone, null)
  // Held from before the state is read until after it is rewritten: a second run reading the
  // first one's pending record would take it for an interrupted run and cut its output.
  const release = lockExportState(options.statePath)
  try {
    return await exportLocked(db, options, zone, readExportState(options.statePath))
  } finally {
    release()
  }
}

async function exportLocked(
  db: Db,
  options: ExportOptions,
  zone: string,
  saved: ExportState | null,
): Promise<ExportResult> {
  const notes: string[] = []
  let state: ExportState | null = null
  if (options.statePath) {
    state = recoverPending(saved ?? { lastId: 0, pending: null }, options.target, notes)
  }
  const header = options.header ?? !(saved !== null && options.target.kind === 'stream')
  const afterId = Math.max(options.filters.afterId ?? 0, state?.lastId ?? 0)
  const handle = options.sqlitePath && options.format !== 'table' ? openReadOnly(options.sqlitePath) : null
  try {
    // Rows up to the head at the start, read in one snapshot: ids are appended in commit order
    // (serialised appends), so nothing at or below it can appear later.
    handle?.exec('BEGIN')
    const upperBound = handle
      ? Number((handle.prepare('SELECT coalesce(max(id), 0) AS id FROM access_log').get() as { id: number }).id)
      : await headId(db)
    const sink = options.target.kind === 'file' ? fileSink(options.target.path) : streamSink(options.target.stream, options.target.fd)
    try {
      if (options.statePath && state) {
        state.pending = appendPending(options.target)
        writeExportState(options.statePath, state)
      }
      const withHeader = { ...options, header }
      const rows = await writeRows(db, handle, sink, withHeader, zone, afterId, upperBound)
      await sink.finish()
      const lastId = Math.max(afterId, upperBound)
      await placeOutput(options, sink, state, lastId)
      if (options.statePath) writeExportState(options.statePath, { lastId, pending: null })
      return { rows, lastId, notes }
    } catch (error) {
      sink.abort()
      throw error
    }
  } finally {
    handle?.close()
  }
}

function appendPending(target: ExportTarget): PendingAppend | null {
  if (target.kind !== 'stream' || target.fd === undefined) return null
  const stats = safeFstat(target.fd)
  if (!stats?.isFile()) return null
  return { kind: 'append', ...identity(stats), offset: Number(stats.size) }
}

// For --output: record where the finished rows go before renaming, so a kill right after the
// rename still counts them as exported.
async function placeOutput(options: ExportOptions, sink: Sink, state: ExportState | null, lastId: number): Promise<void> {
  if (options.target.kind !== 'file') return
  const { tempPath } = sink as FileSink
  const path = options.target.path
  if (options.statePath && state) {
    const stats = statSync(tempPath, { bigint: true })
    writeExportState(options.statePath, {
      lastId: state.lastId,
      pending: { kind: 'replace', path, tempPath, ...identity(stats), to: lastId },
    })
  }
  try {
    renameSync(tempPath, path)
  } catch (error) {
    throw unwritable('--output', path, error)
  }
  syncDirectory(dirname(path))
}

async function headId(db: Db): Promise<number> {
  const row = await db
    .selectFrom('access_log')
    .select(sql<number>`coalesce(max(id), 0)`.as('id'))
    .executeTakeFirst()
  return Number(row?.id ?? 0)
}

function openReadOnly(path: string): BetterSqlite3.Database {
  try {
    const handle = new BetterSqlite3(path, { readonly: true, fileMustExist: true })
    handle.pragma('busy_timeout = 10000')
    return handle
  } catch (error) {
    throw new ConfiError(`cannot open the database ${path} for reading: ${(error as Error).message}`)
  }
}

async function writeRows(
  db: Db,
  handle: BetterSqlite3.Database | null,
  sink: Sink,
  options: ExportOptions,
  zone: string,
  afterId: number,
  upperBound: number,
): Promise<number> {
  const { format } = options
  const separator = SEPARATORS[format]
  // Small batches keep each string in V8’s young generation (under ~128 KB), so it is freed by
  // cheap scavenges and RSS stays flat; fewer, larger batches measured no faster.
  const batchSize = options.batchSize ?? (handle ? 400 : 1000)
  const batches = readBatches(db, handle, options, zone, afterId, upperBound, batchSize)
  const dialect = csvDialect(options.excel)
  if (format === 'csv' && options.header !== false) {
    await sink.write(`${dialect.prefix}${CSV_COLUMNS.join(dialect.delimiter)}\r\n`)
  }
  if (format === 'table') await sink.write(`${tableLine(TABLE_COLUMNS.map((c) => c.header))}\n`)
  if (format === 'json') await sink.write('[\n')
  let rows = 0
  for await (const batch of batches) {
    const lead = format === 'json' && rows > 0 ? ',\n' : ''
    const tail = format === 'json' ? '' : separator
    await sink.write(lead + batch.text + tail)
    rows += batch.rows
  }
  if (format === 'json') await sink.write(rows > 0 ? '\n]\n' : ']\n')
  return rows
}

function readBatches(
  db: Db,
  handle: BetterSqlite3.Database | null,
  options: ExportOptions,
  zone: string,
  afterId: number,
  upperBound: number,
  batchSize: number,
): AsyncIterable<Batch> {
  const { format, filters } = options
  const separator = SEPARATORS[format]
  const { delimiter } = csvDialect(options.excel)
  if (handle && format !== 'table') {
    return keysetBatches(sqliteReader(handle, filters, upperBound, format, separator, delimiter), afterId, batchSize)
  }
  // JSON stays formatted in JavaScript on PostgreSQL: its json text differs from JSON.stringify.
  if (format === 'csv' && !options.portable && backendOf(db) === 'postgres') {
    return postgresCsvBatches(db, filters, afterId, upperBound, separator, batchSize, delimiter)
  }
  const read = kyselyReader(db, filters, upperBound, rowFormatter(format, zone, delimiter), separator)
  return keysetBatches(read, afterId, batchSize)
}

function rowFormatter(format: ExportFormat, zone: string, delimiter: string): (row: ExportRow) => string {
  if (format === 'csv') return (row) => csvLine(row, delimiter)
  if (format === 'table') return (row) => tableLine(TABLE_COLUMNS.map((c) => c.value(row, zone)))
  return jsonLine
}

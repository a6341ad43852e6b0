import { hash } from 'node:crypto'
import { CompiledQuery, sql } from 'kysely'
import { isIP } from 'node:net'
import { backendOf, type Db } from '../db/database.js'
import { jsonRows, preparedInsert, preparedQuery } from '../db/prepared.js'
import { ValidationError } from '../errors.js'
import type { AccessLogTable } from '../db/tables.js'
import { nowIso } from '../time.js'
import { growTree, saveTree, type TreeWrites } from './merkle.js'

export type AccessChannel = 'portal' | 'email' | 'whatsapp' | 'link'
export type AccessAction = 'view' | 'download'

/** What the portal knows about one access; the log adds the id, time and hashes. */
export interface AccessEntry {
  documentId: number
  attachmentId?: number | null
  clientId: number
  /** The logged-in user, as they are now (kept as they were then); null when nobody logged in. */
  user?: { id: number; username: string; name: string } | null
  channel: AccessChannel
  deliveryId?: number | null
  ip?: string | null
  port?: number | null
  userAgent?: string | null
  action: AccessAction
}

/** One row of the access log (docs/rules.md#data). */
export interface AccessRecord {
  id: number
  at: string
  documentId: number
  attachmentId: number | null
  clientId: number
  userId: number | null
  username: string | null
  userName: string | null
  channel: AccessChannel
  deliveryId: number | null
  ip: string | null
  port: number | null
  userAgent: string | null
  action: AccessAction
  prevHash: string
  hash: string
}

/** The `prev_hash` of the first row: 32 zero bytes in hex. */
export const GENESIS_HASH = '0'.repeat(64)

/** Prefixed to every hashed message, so a row hash can never be confused with another SHA-256 use. */
export const DOMAIN_BYTE = 0x01

/** The fields of a row in canonical order (docs/access-log.md). */
export const CANONICAL_FIELDS = [
  'id',
  'at',
  'document_id',
  'attachment_id',
  'client_id',
  'user_id',
  'username',
  'user_name',
  'channel',
  'delivery_id',
  'ip',
  'port',
  'user_agent',
  'action',
] as const

export type CanonicalRow = Record<(typeof CANONICAL_FIELDS)[number], string | number | null>

/**
 * The canonical encoding of a row: for each field in CANONICAL_FIELDS, 0x00 when null, otherwise
 * 0x01, the length of its UTF-8 text as a 4-byte big-endian integer, then the text (integers in
 * decimal). Length prefixes make the encoding unambiguous whatever the text holds.
 */
export function canonicalEncoding(row: CanonicalRow): Buffer {
  return Buffer.from(encodeInto(row, 0, 0))
}

// Written straight into one reused buffer with `head` bytes free before and `tail` after, and
// returned as a view of it valid until the next call: hashing a row is the whole cost of
// `confi docs verify` (docs/performance.md, scale bench); a Buffer per field cost three times as
// much, and a buffer per row with the lengths measured first 10 to 30% more.
let scratch = Buffer.allocUnsafe(4096)

function encodeInto(row: CanonicalRow, head: number, tail: number): Buffer {
  let at = head
  for (const field of CANONICAL_FIELDS) {
    const value = row[field]
    if (value === null || value === undefined) {
      at = room(at, 1 + tail)
      scratch[at++] = 0x00
      continue
    }
    const text = typeof value === 'string' ? value : String(value)
    // At most 3 UTF-8 bytes per UTF-16 unit.
    at = room(at, 5 + 3 * text.length + tail)
    scratch[at] = 0x01
    const length = scratch.write(text, at + 5, 'utf8')
    scratch.writeUInt32BE(length, at + 1)
    at += 5 + length
  }
  return scratch.subarray(0, at + tail)
}

// Grows the scratch buffer to hold `more` bytes after `at`, keeping what is written; returns `at`.
function room(at: number, more: number): number {
  if (at + more <= scratch.length) return at
  const bigger = Buffer.allocUnsafe(Math.max(2 * scratch.length, at + more))
  scratch.copy(bigger, 0, 0, at)
  scratch = bigger
  return at
}

/** hash = SHA-256(DOMAIN_BYTE ‖ canonical encoding ‖ previous hash as 32 bytes), in hex. */
export function accessLogHash(row: CanonicalRow, prevHash: string): string {
  return accessLogDigest(row, prevHash).toString('hex')
}

/** accessLogHash as its 32 bytes (the verification threads hash them again as a tree leaf). */
export function accessLogDigest(row: CanonicalRow, prevHash: string): Buffer {
  const message = encodeInto(row, 1, 32)
  message[0] = DOMAIN_BYTE
  const tail = message.length - 32
  // A previous hash that is not 64 hex digits (a tampered row) is hashed as Buffer.from reads it.
  if (message.write(prevHash, tail, 'hex') === 32) return hash('sha256', message, 'buffer')
  return hash('sha256', Buffer.concat([message.subarray(0, tail), Buffer.from(prevHash, 'hex')]), 'buffer')
}

type AccessLogRow = Omit<AccessLogTable, 'id'> & { id: number }

const CHANNELS: readonly string[] = ['portal', 'email', 'whatsapp', 'link']
const ACTIONS: readonly string[] = ['view', 'download']

function isId(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) > 0
}

// Checked before the batch, so one malformed entry cannot fail the other requests' rows.
export function checkEntry(entry: AccessEntry): void {
  if (!isId(entry.documentId) || !isId(entry.clientId)) {
    throw new ValidationError('an access needs a document id and a client id')
  }
  if (entry.attachmentId != null && !isId(entry.attachmentId)) throw new ValidationError('bad attachment id')
  if (entry.deliveryId != null && !isId(entry.deliveryId)) throw new ValidationError('bad delivery id')
  if (entry.user && !isId(entry.user.id)) throw new ValidationError('bad user id')
  if (!CHANNELS.includes(entry.channel)) throw new ValidationError(`bad channel '${entry.channel}'`)
  if (!ACTIONS.includes(entry.action)) throw new ValidationError(`bad action '${entry.action}'`)
  if (entry.port != null && !(Number.isInteger(entry.port) && entry.port >= 0 && entry.port <= 65535)) {
    throw new ValidationError(`bad port ${entry.port}`)
  }
  // Only addresses are recorded (the export writes this column as is, with nothing to escape).
  if (entry.ip != null && isIP(entry.ip) === 0) throw new ValidationError(`bad IP address '${entry.ip}'`)
}

const ROW_COLUMNS = [...CANONICAL_FIELDS, 'prev_hash', 'hash'] as const
const NODE_COLUMNS = ['level', 'idx', 'hash'] as const

// Compiled once (core/db/prepared.ts): a group of 64 rows is one statement on SQLite, not 64.
const insertRows = preparedInsert<AccessLogRow>('access_log', ROW_COLUMNS)

// PostgreSQL: the rows, the tree's new nodes and its head in one statement (data-modifying CTEs,
// the rows as one JSON parameter): one round trip instead of three, and the same text for any
// number of rows, so it is prepared once (docs/decisions.md, "Append speed (issue 13)").
const writeAllQuery = preparedQuery(4, (db: Db, rows: string, nodes: string, size: number, frontier: string) =>
  db
    .with('log_rows', (q) => q.insertInto('access_log').columns(ROW_COLUMNS).expression(jsonRows('access_log', ROW_COLUMNS, rows)))
    .with('tree_nodes', (q) => q.insertInto('access_log_tree').columns(NODE_COLUMNS).expression(jsonRows('access_log_tree', NODE_COLUMNS, nodes)))
    .insertInto('access_log_tree_head')
    .values({ id: 1, size, frontier })
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ size: eb.ref('excluded.size'), frontier: eb.ref('excluded.frontier') }))),
)

// The head of the chain and the stored tree's head in one read (both under the lock). The limits
// are literals so that the PostgreSQL text below carries no parameter.
type Heads = { id: number | null; hash: string | null; tree_size: number | null; frontier: string | null }
const headsQuery = (db: Db) =>
  db.selectNoFrom((eb) => [
    eb.selectFrom('access_log').select('id').orderBy('id', 'desc').limit(sql.lit(1)).as('id'),
    eb.selectFrom('access_log').select('hash').orderBy('id', 'desc').limit(sql.lit(1)).as('hash'),
    eb.selectFrom('access_log_tree_head').select('size').where('id', '=', sql.lit(1)).as('tree_size'),
    eb.selectFrom('access_log_tree_head').select('frontier').where('id', '=', sql.lit(1)).as('frontier'),
  ])

const readHeads = preparedQuery(0, headsQuery)

// PostgreSQL: BEGIN, the lock and the head read in one round trip, as one text of three
// statements. Each statement of such a text takes its own snapshot under READ COMMITTED, so the
// head is read only once the lock is held, exactly as when they went one by one.
const beginLockedTexts = new WeakMap<object, CompiledQuery>()
function beginLocked(db: Db): CompiledQuery {
  const adapter = db.getExecutor().adapter
  let query = beginLockedTexts.get(adapter)
  if (!query) {
    const lock = sql`select pg_advisory_xact_lock(hashtext(${sql.lit('access-log')}))`.compile(db).sql
    query = CompiledQuery.raw(`begin; ${lock}; ${headsQuery(db).compile().sql}`)
    beginLockedTexts.set(adapter, query)
  }
  return query
}

/** Runs `append` in a transaction that holds the access-log lock, with the heads read under it. */
async function inAppendTransaction<T>(db: Db, append: (trx: Db, heads: Heads | undefined) => Promise<T>): Promise<T> {
  if (backendOf(db) === 'sqlite') {
    // BEGIN IMMEDIATE is the lock on SQLite (core/db/database.ts).
    return db.transaction().execute(async (trx) => append(trx, (await readHeads(trx))[0] as Heads | undefined))
  }
  return db.connection().execute(async (connection) => {
    try {
      const heads = (await connection.executeQuery(beginLocked(connection))).rows[0] as Heads | undefined
      const result = await append(connection, heads)
      await sql`commit`.execute(connection)
      return result
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => {})
      throw error
    }
  })
}

// The Merkle tree grows in the same transaction as the rows, so a checkpoint never sees rows without it.
async function writeRows(trx: Db, rows: readonly AccessLogRow[], tree: TreeWrites): Promise<void> {
  if (backendOf(trx) === 'postgres') {
    await writeAllQuery(trx, JSON.stringify(rows), JSON.stringify(tree.nodes), tree.head.size, tree.head.frontier)
    return
  }
  await insertRows(trx, rows)
  await saveTree(trx, tree)
}

/** What the log adds to an entry: its id, time and hashes (the commit thread sends only these back). */
export type RowStamp = [id: number, at: string, prevHash: string, hash: string]

/** The row an entry becomes with its stamp. */
export function recordOf(entry: AccessEntry, [id, at, prevHash, hash]: RowStamp): AccessRecord {
  return {
    id,
    at,
    documentId: entry.documentId,
    attachmentId: entry.attachmentId ?? null,
    clientId: entry.clientId,
    userId: entry.user?.id ?? null,
    username: entry.user?.username ?? null,
    userName: entry.user?.name ?? null,
    channel: entry.channel,
    deliveryId: entry.deliveryId ?? null,
    ip: entry.ip ?? null,
    port: entry.port ?? null,
    userAgent: entry.userAgent ?? null,
    action: entry.action,
    prevHash,
    hash,
  }
}

function rowOf(entry: AccessEntry, id: number, at: string): CanonicalRow {
  return {
    id,
    at,
    document_id: entry.documentId,
    attachment_id: entry.attachmentId ?? null,
    client_id: entry.clientId,
    user_id: entry.user?.id ?? null,
    username: entry.user?.username ?? null,
    user_name: entry.user?.name ?? null,
    channel: entry.channel,
    delivery_id: entry.deliveryId ?? null,
    ip: entry.ip ?? null,
    port: entry.port ?? null,
    user_agent: entry.userAgent ?? null,
    action: entry.action,
  }
}

// Serialised: under the lock, read the head of the chain and extend it. The ids are given
// explicitly (head + 1) because each row's hash covers its id, and an id can only be known
// before the insert while nobody else can append.
async function appendStamps(trx: Db, entries: readonly AccessEntry[], head: Heads | undefined): Promise<RowStamp[]> {
  const size = head?.id == null ? 0 : Number(head.id)
  let prevHash = head?.hash ?? GENESIS_HASH
  // One time for the group: its rows are committed together.
  const at = nowIso()
  const rows = entries.map((entry, i) => {
    const row = rowOf(entry, size + i + 1, at)
    const hash = accessLogHash(row, prevHash)
    const full = { ...row, prev_hash: prevHash, hash } as AccessLogRow
    prevHash = hash
    return full
  })
  const stored = head?.tree_size == null ? null : { size: Number(head.tree_size), frontier: head.frontier! }
  await writeRows(trx, rows, await growTree(trx, size, rows.map((row) => row.hash), stored))
  return rows.map((row) => [row.id, at, row.prev_hash, row.hash])
}

/**
 * Appends one row to the access log in its own transaction and returns it once committed: the
 * portal calls this before sending the first byte of a document (docs/rules.md#access-log-integrity).
 */
export async function recordAccess(db: Db, entry: AccessEntry): Promise<AccessRecord> {
  checkEntry(entry)
  const [stamp] = await inAppendTransaction(db, (trx, heads) => appendStamps(trx, [entry], heads))
  return recordOf(entry, stamp)
}

export interface AccessLogWriter {
  /** Resolves with the row once its transaction has committed; rejects if it could not be. */
  record(entry: AccessEntry): Promise<AccessRecord>
  /** Resolves when every entry recorded so far has been committed or rejected. */
  flush(): Promise<void>
}

interface Pending {
  entry: AccessEntry
  resolve: (stamp: RowStamp) => void
  reject: (error: unknown) => void
}

// SQLITE_CONSTRAINT* or PostgreSQL class 23: the rows were wrong, not the database.
function isConstraintError(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '')
  return code.startsWith('SQLITE_CONSTRAINT') || /^23\d{3}$/.test(code)
}

/**
 * Group commit: the entries recorded while a transaction is being written wait for it and then
 * go together into the next one, so with synchronous=FULL many requests share one fsync (docs/performance.md).
 * Each promise resolves only after its row is committed. If a batch fails on a constraint, its
 * entries are retried one by one so one bad entry cannot refuse the others; any other failure
 * (database unavailable) rejects the whole batch.
 */
export function createAccessLogWriter(db: Db, options: { maxBatch?: number } = {}): AccessLogWriter {
  const stamps = createStampWriter(db, options)
  return { record: (entry) => stamps.record(entry).then((stamp) => recordOf(entry, stamp)), flush: stamps.flush }
}

/** The group-commit writer of createAccessLogWriter, resolving only what the log added (the commit thread's replies). */
export function createStampWriter(db: Db, options: { maxBatch?: number } = {}): {
  record(entry: AccessEntry): Promise<RowStamp>
  flush(): Promise<void>
} {
  const maxBatch = options.maxBatch ?? 1000
  let queue: Pending[] = []
  let running: Promise<void> | null = null

  const commit = async (batch: Pending[]): Promise<void> => {
    try {
      const stamps = await inAppendTransaction(db, (trx, heads) => appendStamps(trx, batch.map((p) => p.entry), heads))
      batch.forEach((pending, i) => pending.resolve(stamps[i]))
    } catch (error) {
      if (batch.length > 1 && isConstraintError(error)) {
        for (const pending of batch) await commit([pending])
        return
      }
      for (const pending of batch) pending.reject(error)
    }
  }

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      // Yield to the event loop before every batch, not only the first. On SQLite the COMMIT's
      // fsync blocks the loop, so nothing can arrive while it runs; without this yield the next
      // batch held only the stragglers of the last one (often a single row paying a whole fsync),
      // while the requests whose input was waiting had no chance to reach record() and join it.
      await new Promise((resolve) => setImmediate(resolve))
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      await commit(batch)
    }
    running = null
  }

  return {
    record(entry) {
      try {
        checkEntry(entry)
      } catch (error) {
        return Promise.reject(error)
      }
      return new Promise<RowStamp>((resolve, reject) => {
        queue.push({ entry, resolve, reject })
        running ??= drain()
      })
    },
    async flush() {
      while (running) await running
    },
  }
}

import { CompiledQuery, sql } from 'kysely'
import { backendOf, takeLock, type Db } from '../../db/database.js'
import { jsonRows, preparedInsert, preparedQuery } from '../../db/prepared.js'
import { nowIso } from '../../time.js'
import { growTree, saveTree, type TreeWrites } from '../tree/merkle.js'
import { canonicalOf, checkEventEntry, isAccessEntry, storedRowOf, type AccessFormat, type LogEntry, type PersonalRow, type StoredRow } from './format-v2.js'
import {
  accessLogHash,
  CANONICAL_FIELDS,
  checkEntry,
  GENESIS_HASH,
  PERSONAL_FIELDS,
  recordOf,
  V2_COLUMNS,
  type AccessEntry,
  type AccessRecord,
  type RowStamp,
} from './row.js'

// Appending to the chain: under the access-log lock, each row hashed onto the previous one and
// the Merkle tree grown in the same transaction (docs/rules.md#access-log-integrity).

// New accesses are written in format 2; format 1 stays for benchmarks that compare the two and
// for tests that build a database as older releases wrote it (docs/decisions.md, "Access log v2").
const DEFAULT_ACCESS_FORMAT: AccessFormat = 2

const ROW_COLUMNS = [...CANONICAL_FIELDS, 'prev_hash', 'hash', ...V2_COLUMNS] as const
const PERSONAL_COLUMNS = ['id', ...PERSONAL_FIELDS.flatMap((f) => [f, `${f}_salt` as const])] as const
const NODE_COLUMNS = ['level', 'idx', 'hash'] as const

// Compiled once (core/db/prepared.ts): a group of 64 rows is one statement on SQLite, not 64.
const insertRows = preparedInsert<StoredRow>('access_log', ROW_COLUMNS)
const insertPersonal = preparedInsert<PersonalRow>('access_log_personal', PERSONAL_COLUMNS)

// PostgreSQL's access-log lock: an advisory lock held until the transaction ends, taken again at
// no cost by a transaction that already holds it.
const ACCESS_LOG_LOCK = sql`pg_advisory_xact_lock(hashtext(${sql.lit('access-log')}))`
const LOCK = 'access_log_lock'

// PostgreSQL: the rows, the tree's new nodes and its head in one statement (data-modifying CTEs,
// the rows as one JSON parameter): one round trip instead of three, and the same text for any
// number of rows, so it is prepared once (docs/decisions.md, "Append speed (issue 13)"). Every
// insert is fed through a CTE that takes the access-log lock (a CTE of a volatile function is
// evaluated once, before any row it feeds), so the statement is safe in its own transaction: a
// writer that knows the heads it committed last sends its next group this way alone, and if
// somebody else appended since, the rows' ids are taken and it fails on the primary key with
// nothing written (docs/decisions.md, "Appends on PostgreSQL: one statement when the heads are
// known"). Inside a transaction that holds the lock already, taking it again changes nothing.
const writeAllQuery = preparedQuery(5, (db: Db, rows: string, personal: string, nodes: string, size: number, frontier: string) =>
  db
    .with(LOCK, (q) => q.selectNoFrom(ACCESS_LOG_LOCK.as('locked')))
    .with('log_rows', (q) => q.insertInto('access_log').columns(ROW_COLUMNS).expression(jsonRows('access_log', ROW_COLUMNS, rows, LOCK)))
    .with('personal_rows', (q) =>
      q.insertInto('access_log_personal').columns(PERSONAL_COLUMNS).expression(jsonRows('access_log_personal', PERSONAL_COLUMNS, personal, LOCK)),
    )
    .with('tree_nodes', (q) => q.insertInto('access_log_tree').columns(NODE_COLUMNS).expression(jsonRows('access_log_tree', NODE_COLUMNS, nodes, LOCK)))
    .insertInto('access_log_tree_head')
    .columns(['id', 'size', 'frontier'])
    .expression((eb) =>
      eb.selectFrom(LOCK).select([sql.lit(1).as('id'), sql<number>`cast(${size} as integer)`.as('size'), sql<string>`cast(${frontier} as text)`.as('frontier')]),
    )
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ size: eb.ref('excluded.size'), frontier: eb.ref('excluded.frontier') }))),
)

// The head of the chain and the stored tree's head in one read (both under the lock). The limits
// are literals so that the PostgreSQL text below carries no parameter.
export type Heads = { id: number | null; hash: string | null; tree_size: number | null; frontier: string | null }
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
    const lock = sql`select ${ACCESS_LOG_LOCK}`.compile(db).sql
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
// The personal values go in the same transaction as their rows, never after them.
async function writeRows(trx: Db, rows: readonly StoredRow[], personal: readonly PersonalRow[], tree: TreeWrites): Promise<void> {
  if (backendOf(trx) === 'postgres') {
    await writeAllQuery(trx, JSON.stringify(rows), JSON.stringify(personal), JSON.stringify(tree.nodes), tree.head.size, tree.head.frontier)
    return
  }
  await insertRows(trx, rows)
  await insertPersonal(trx, personal)
  await saveTree(trx, tree)
}

/** The group's rows on `head`, and what the tree writes for them: nothing is written yet. */
interface Group {
  rows: StoredRow[]
  personal: PersonalRow[]
  tree: TreeWrites
}

// Serialised: under the lock, read the head of the chain and extend it. The ids are given
// explicitly (head + 1) because each row's hash covers its id, and an id can only be known
// before the insert while nobody else can append.
// Events are rows of format 2; accesses are of `accessFormat` (docs/access-log.md, "Format v2").
async function groupOn(trx: Db, entries: readonly LogEntry[], head: Heads | undefined, accessFormat: AccessFormat): Promise<Group> {
  const size = head?.id == null ? 0 : Number(head.id)
  let prevHash = head?.hash ?? GENESIS_HASH
  // One time for the group: its rows are committed together.
  const at = nowIso()
  const personal: PersonalRow[] = []
  const rows = entries.map((entry, i) => {
    const stored = storedRowOf(entry, size + i + 1, at, accessFormat)
    if (stored.personal) personal.push(stored.personal)
    const hash = accessLogHash(canonicalOf(stored.row), prevHash)
    const full = stored.row as StoredRow
    full.prev_hash = prevHash
    full.hash = hash
    prevHash = hash
    return full
  })
  const stored = head?.tree_size == null ? null : { size: Number(head.tree_size), frontier: head.frontier! }
  return { rows, personal, tree: await growTree(trx, size, rows.map((row) => row.hash), stored) }
}

const stampsOf = (group: Group): RowStamp[] => group.rows.map((row) => [row.id, row.at, row.prev_hash, row.hash])

// The heads once `group` is committed: what the next group of the same writer extends.
function headsAfter(group: Group): Heads {
  const last = group.rows[group.rows.length - 1]
  return { id: last.id, hash: last.hash, tree_size: group.tree.head.size, frontier: group.tree.head.frontier }
}

async function appendGroup(trx: Db, entries: readonly LogEntry[], head: Heads | undefined, accessFormat = DEFAULT_ACCESS_FORMAT): Promise<Group> {
  const group = await groupOn(trx, entries, head, accessFormat)
  await writeRows(trx, group.rows, group.personal, group.tree)
  return group
}

const isUniqueViolation = (error: unknown) => (error as { code?: unknown }).code === '23505'

/**
 * PostgreSQL: appends `entries` after `heads` (what this writer committed last) in one statement,
 * or returns null, having written nothing, when another writer appended since.
 */
export async function appendOnKnownHeads(db: Db, entries: readonly LogEntry[], heads: Heads, accessFormat = DEFAULT_ACCESS_FORMAT): Promise<Group | null> {
  const group = await groupOn(db, entries, heads, accessFormat)
  try {
    await writeRows(db, group.rows, group.personal, group.tree)
  } catch (error) {
    if (isUniqueViolation(error)) return null
    throw error
  }
  return group
}

const appendStamps = async (trx: Db, entries: readonly LogEntry[], head: Heads | undefined, accessFormat?: AccessFormat) =>
  stampsOf(await appendGroup(trx, entries, head, accessFormat))

/**
 * Appends `entries` inside the caller's transaction `trx`, so they commit or vanish with what
 * causes them (a document's rows and its document.published row). On SQLite the caller's
 * transaction already holds the write lock (BEGIN IMMEDIATE); on PostgreSQL the access-log lock is
 * taken here and held until the caller commits.
 */
export async function appendInTransaction(trx: Db, entries: readonly LogEntry[]): Promise<RowStamp[]> {
  for (const entry of entries) {
    if (isAccessEntry(entry)) checkEntry(entry)
    else checkEventEntry(entry)
  }
  await takeLock(trx, 'access-log')
  const [heads] = (await readHeads(trx)) as (Heads | undefined)[]
  return appendStamps(trx, entries, heads)
}

/**
 * Appends one row to the access log in its own transaction and returns it once committed: the
 * portal calls this before sending the first byte of a document (docs/rules.md#access-log-integrity).
 */
export async function recordAccess(db: Db, entry: AccessEntry, options: { format?: AccessFormat } = {}): Promise<AccessRecord> {
  checkEntry(entry)
  const [stamp] = await inAppendTransaction(db, (trx, heads) => appendStamps(trx, [entry], heads, options.format))
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
export function createAccessLogWriter(db: Db, options: { maxBatch?: number; format?: AccessFormat } = {}): AccessLogWriter {
  const stamps = createStampWriter(db, options)
  return { record: (entry) => stamps.record(entry).then((stamp) => recordOf(entry, stamp)), flush: stamps.flush }
}

/** The group-commit writer of createAccessLogWriter, resolving only what the log added (the commit thread's replies). */
export function createStampWriter(db: Db, options: { maxBatch?: number; format?: AccessFormat } = {}): {
  record(entry: AccessEntry): Promise<RowStamp>
  flush(): Promise<void>
} {
  const maxBatch = options.maxBatch ?? 1000
  let queue: Pending[] = []
  let running: Promise<void> | null = null

  // PostgreSQL: the heads this writer committed last, while nothing says another writer moved them.
  let known: Heads | null = null
  const append = async (entries: LogEntry[]): Promise<Group> => {
    const heads = known
    // Unknown until this group commits: a failure may leave them anywhere.
    known = null
    const optimistic = heads && (await appendOnKnownHeads(db, entries, heads, options.format))
    if (optimistic) return optimistic
    return inAppendTransaction(db, (trx, locked) => appendGroup(trx, entries, locked, options.format))
  }

  const commit = async (batch: Pending[]): Promise<void> => {
    try {
      const group = await append(batch.map((p) => p.entry))
      if (backendOf(db) === 'postgres') known = headsAfter(group)
      stampsOf(group).forEach((stamp, i) => batch[i].resolve(stamp))
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

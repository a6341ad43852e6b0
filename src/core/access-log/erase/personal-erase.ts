import { sql } from 'kysely'
import { backendOf, type Db } from '../../db/database.js'
import { PERSONAL_FIELDS } from '../chain/row.js'

// Erasing the personal fields of format-2 rows (docs/access-log.md, "Erased fields"): the value
// and its salt are cleared in access_log_personal; the hashed row, its commitments, the chain, the
// tree and every checkpoint stay exactly as they were. A format-1 row holds its values in the
// hashed row itself: changing them would break the chain, so it is only reported, as id ranges.

/** Consecutive row ids, first to last. */
export interface IdRange {
  first: number
  last: number
}

/** The ten columns an erasure clears (every value and its salt). */
const CLEARED = Object.fromEntries(PERSONAL_FIELDS.flatMap((f) => [[f, null], [`${f}_salt`, null]])) as Record<string, null>

/** Rows whose personal values are not all gone already. */
function stillHeld(column: (name: string) => ReturnType<typeof sql.ref>) {
  return sql<boolean>`(${sql.join(
    PERSONAL_FIELDS.map((f) => sql`${column(`${f}_salt`)} is not null`),
    sql` or `,
  )})`
}

/** Who an erasure is about: the user's own rows, and the accesses through deliveries sent to them. */
export interface PersonRows {
  userId: number
  /** Deliveries whose recipient was the person (their e-mail or phone). */
  deliveryIds: readonly number[]
}

// The rows of a person: by user_id (index access_log_user) and by delivery (access_log_delivery).
function personRowIds(db: Db, person: PersonRows, format: 1 | 2) {
  return db
    .selectFrom('access_log')
    .select('id')
    .where('format', '=', format)
    .where((eb) =>
      eb.or([
        eb('user_id', '=', person.userId),
        ...(person.deliveryIds.length > 0 ? [eb('delivery_id', 'in', [...person.deliveryIds])] : []),
      ]),
    )
}

/**
 * Clears (or, `dryRun`, counts) the personal values and salts of a person's format-2 rows, inside
 * the caller's transaction: the number of rows that still held a value.
 */
export async function erasePersonalFieldsOf(trx: Db, person: PersonRows, options: { dryRun?: boolean } = {}): Promise<number> {
  const ids = personRowIds(trx, person, 2)
  if (options.dryRun) {
    const row = await trx
      .selectFrom('access_log_personal as p')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('p.id', 'in', ids)
      .where(stillHeld((c) => sql.ref(`p.${c}`)))
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  }
  const result = await trx
    .updateTable('access_log_personal')
    .set(CLEARED)
    .where('id', 'in', ids)
    .where(stillHeld((c) => sql.ref(c)))
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** The format-1 rows of a person that hold a personal value, as id ranges, and their count. */
export async function format1RowsOf(db: Db, person: PersonRows): Promise<{ rows: number; ranges: IdRange[] }> {
  const ids = personRowIds(db, person, 1).where((eb) =>
    eb.or([eb('username', 'is not', null), eb('user_name', 'is not', null), eb('ip', 'is not', null), eb('user_agent', 'is not', null)]),
  )
  return rangesOf(db, ids)
}

// Consecutive ids grouped (id - row_number is constant along a run), on both backends.
async function rangesOf(db: Db, ids: ReturnType<typeof personRowIds>): Promise<{ rows: number; ranges: IdRange[] }> {
  const runs = await db
    .selectFrom(
      ids
        .select(sql<number>`id - row_number() over (order by id)`.as('run'))
        .as('r'),
    )
    .select((eb) => [eb.fn.min('r.id').as('first'), eb.fn.max('r.id').as('last'), eb.fn.countAll<number>().as('n')])
    .groupBy('r.run')
    .orderBy('first')
    .execute()
  return {
    rows: runs.reduce((n, r) => n + Number(r.n), 0),
    ranges: runs.map((r) => ({ first: Number(r.first), last: Number(r.last) })),
  }
}

/** What expirePersonalFields did (or, dry run, would do). */
export interface ExpiryResult {
  /** Format-2 rows logged before the cutoff whose values and salts were (would be) cleared now. */
  erased: number
  /** The last row id looked at: pass it back as `afterId` to resume a run that was stopped. */
  throughId: number
  /** Format-1 rows before the cutoff that hold personal values no erasure can reach. */
  format1: { rows: number; ranges: IdRange[] }
}

/**
 * Erases the personal fields (values and salts) of every format-2 row logged before `before`
 * (an ISO time), for the log's retention (docs/privacy.md): batch by batch in id order, each
 * batch its own short transaction, so a log of 10 million rows never holds one giant one and a
 * run stopped half way loses nothing (rerun it, or pass `afterId`; rows already erased are
 * skipped). Rows are appended in time order, so the cutoff is one probe of the access_log_at
 * index; each batch re-checks `at` for a clock that stepped back.
 */
export async function expirePersonalFields(
  db: Db,
  options: { before: string; dryRun?: boolean; batchSize?: number; afterId?: number; onBatch?: (throughId: number, lastId: number) => void },
): Promise<ExpiryResult> {
  const batchSize = options.batchSize ?? 10_000
  const newest = await db
    .selectFrom('access_log')
    .select('id')
    .where('at', '<', options.before)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  const lastId = Number(newest?.id ?? 0)
  let erased = 0
  let from = options.afterId ?? 0
  while (from < lastId) {
    const to = Math.min(from + batchSize, lastId)
    const inBatch = db
      .selectFrom('access_log')
      .select('id')
      .where('id', '>', from)
      .where('id', '<=', to)
      .where('format', '=', 2)
      .where('at', '<', options.before)
    if (options.dryRun) {
      const row = await db
        .selectFrom('access_log_personal as p')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('p.id', '>', from)
        .where('p.id', '<=', to)
        .where('p.id', 'in', inBatch)
        .where(stillHeld((c) => sql.ref(`p.${c}`)))
        .executeTakeFirst()
      erased += Number(row?.n ?? 0)
    } else {
      const result = await db
        .updateTable('access_log_personal')
        .set(CLEARED)
        .where('id', '>', from)
        .where('id', '<=', to)
        .where('id', 'in', inBatch)
        .where(stillHeld((c) => sql.ref(c)))
        .executeTakeFirst()
      erased += Number(result.numUpdatedRows)
    }
    from = to
    options.onBatch?.(from, lastId)
  }
  const format1 = await rangesOf(
    db,
    db
      .selectFrom('access_log')
      .select('id')
      .where('format', '=', 1)
      .where('id', '<=', lastId)
      .where((eb) => eb.or([eb('username', 'is not', null), eb('user_name', 'is not', null), eb('ip', 'is not', null), eb('user_agent', 'is not', null)])),
  )
  return { erased, throughId: Math.max(from, options.afterId ?? 0), format1 }
}

/**
 * Makes the cleared values unrecoverable from the database's own files, after the erasing
 * transaction has committed: on SQLite the WAL is checkpointed into the main file and truncated
 * (`secure_delete`, set before the erasure, zeroed the space the old values held); on PostgreSQL
 * the touched tables are vacuumed, so their dead row versions are pruned (docs/privacy.md says
 * what PostgreSQL may still keep in WAL segments). Returns false when a reader kept SQLite from
 * checkpointing the whole WAL. `tables`: the caller's touched tables besides access_log_personal.
 */
export async function scrubAfterErasure(db: Db, tables: readonly string[]): Promise<boolean> {
  if (backendOf(db) === 'sqlite') {
    const result = await sql<{ busy: number }>`pragma wal_checkpoint(truncate)`.execute(db)
    return Number(result.rows[0]?.busy ?? 0) === 0
  }
  for (const table of ['access_log_personal', ...tables]) await sql`vacuum ${sql.table(table)}`.execute(db)
  return true
}

/** Sets SQLite's `secure_delete` on this connection, so freed space is overwritten with zeros. */
export async function secureDeleteOn(db: Db): Promise<void> {
  if (backendOf(db) === 'sqlite') await sql`pragma secure_delete = on`.execute(db)
}

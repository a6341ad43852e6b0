import { sql, type Selectable } from 'kysely'
import type { Db } from '../../db/database.js'
import type { AccessLogTable } from '../../db/tables.js'
import { accessLogHash, GENESIS_HASH, type CanonicalRow } from './row.js'

// The one-row-at-a-time walk of the chain: the reference every faster check falls back to for
// its report (verify.ts), and what backups and the upgrade test run on small logs.

export type VerifyResult =
  | { ok: true; rows: number; lastHash: string }
  | { ok: false; rowId: number; reason: string; rows: number }

/** Rows done of the rows to do, called once per batch; whoever draws it throttles. */
export type ProgressCallback = (done: number, total: number) => void

/** The id of the newest row (0 when empty); the ids of a sound log run 1..n, so also its row count. */
export async function headRowId(db: Db): Promise<number> {
  const row = await db.selectFrom('access_log').select(sql<number>`coalesce(max(id), 0)`.as('id')).executeTakeFirst()
  return Number(row?.id ?? 0)
}

/** The hash a stored row's contents give, chained to its own prev_hash: equal to its hash unless it was edited. */
export function contentHash(row: Selectable<AccessLogTable>): string {
  const canonical = { ...row, id: Number(row.id), port: row.port == null ? null : Number(row.port) } as CanonicalRow
  return accessLogHash(canonical, row.prev_hash)
}

/**
 * Walks the chain in id order, a batch at a time (constant memory), and reports the first row
 * that does not match: edited rows fail their own hash, deleted, inserted or moved rows break
 * the link to the row before.
 */
export async function verifyAccessLog(
  db: Db,
  options: {
    batchSize?: number
    /** Continue after row `id` (whose hash is `hash`), `rows` rows being already verified. */
    from?: { id: number; hash: string; rows: number }
    onRow?: (id: number, hash: string) => void
    onProgress?: ProgressCallback
  } = {},
): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? 5000
  let prevHash = options.from?.hash ?? GENESIS_HASH
  let lastId = options.from?.id ?? 0
  let rows = options.from?.rows ?? 0
  const total = options.onProgress ? await headRowId(db) : 0
  for (;;) {
    const batch = await db
      .selectFrom('access_log')
      .selectAll()
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(batchSize)
      .execute()
    if (batch.length === 0) return { ok: true, rows, lastHash: prevHash }
    for (const row of batch) {
      const id = Number(row.id)
      if (row.prev_hash !== prevHash) {
        const reason =
          rows === 0 && row.prev_hash !== GENESIS_HASH
            ? 'it should be the first row of the chain, but its prev_hash is not the genesis value: rows before it were deleted'
            : 'its prev_hash does not match the hash of the row before it: a row was deleted, inserted or moved before it'
        return { ok: false, rowId: id, reason, rows }
      }
      if (contentHash(row) !== row.hash) {
        return { ok: false, rowId: id, reason: 'its contents do not match its hash: the row was edited', rows }
      }
      options.onRow?.(id, row.hash)
      prevHash = row.hash
      lastId = id
      rows += 1
    }
    options.onProgress?.(rows, Math.max(total, rows))
  }
}

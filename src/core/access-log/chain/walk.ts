import { sql, type Selectable } from 'kysely'
import type { Db } from '../../db/database.js'
import type { AccessLogTable } from '../../db/tables.js'
import { personalFieldWrong, PERSONAL_VALUE_COLUMNS } from './format-v2.js'
import { GENESIS_HASH, PERSONAL_FIELDS, storedRowHash, type PersonalField } from './row.js'

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
  return storedRowHash(row)
}

/**
 * Why a v2 row's personal values (beside it, in access_log_personal) are wrong, or null: a value
 * changed there no longer gives the commitment the hashed row holds (docs/access-log.md,
 * "Commitments"). An erased value (value and salt null) is not wrong.
 */
export function personalProblem(fields: readonly PersonalField[]): string | null {
  if (fields.length === 0) return null
  const names = fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)}`
  return `its ${names} ${fields.length === 1 ? 'does' : 'do'} not match ${fields.length === 1 ? 'its commitment' : 'their commitments'}: the value kept beside the row (access_log_personal) was changed`
}

/**
 * Walks the chain in id order, a batch at a time (constant memory), and reports the first row
 * that does not match: edited rows fail their own hash, deleted, inserted or moved rows break
 * the link to the row before, and a v2 row whose personal values no longer give its commitments
 * names the fields.
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
      .selectFrom('access_log as a')
      .leftJoin('access_log_personal as p', 'p.id', 'a.id')
      .selectAll('a')
      .select(PERSONAL_VALUE_COLUMNS.map((c) => `p.${c} as p_${c}` as const))
      .where('a.id', '>', lastId)
      .orderBy('a.id')
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
      const personal = Number(row.format) === 2 ? personalProblem(mismatchesOf(row)) : null
      if (personal) return { ok: false, rowId: id, reason: personal, rows }
      options.onRow?.(id, row.hash)
      prevHash = row.hash
      lastId = id
      rows += 1
    }
    options.onProgress?.(rows, Math.max(total, rows))
  }
}

// The personal fields whose value and salt (the walk's join names them p_<column>) do not give the
// commitment, read by names made once: a copy of the row per row cost 4 µs (docs/performance.md,
// "Format 2's cost").
const PERSONAL_KEYS = PERSONAL_FIELDS.map((field) => [field, `${field}_commitment`, `p_${field}`, `p_${field}_salt`] as const)
function mismatchesOf(row: Record<string, unknown>): PersonalField[] {
  return PERSONAL_KEYS.filter(([, commitment, value, salt]) =>
    personalFieldWrong(row[commitment] as string | null, row[value] as string | number | null, row[salt] as string | null),
  ).map(([field]) => field)
}

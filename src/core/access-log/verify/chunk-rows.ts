import { sql } from 'kysely'
import type { Db } from '../../db/database.js'
import { PERSONAL_VALUE_COLUMNS, personalFieldWrong } from '../chain/format-v2.js'
import { CANONICAL_FIELDS, CANONICAL_FIELDS_V2, PERSONAL_FIELDS, positionalHash } from '../chain/row.js'

// What a verification thread reads (check-chunk.ts): one statement per format, each with only
// the columns its rows need, as arrays. A column costs about 60 ns a row to read even when null,
// and one statement for both formats read 37 columns a row, 21 of them null in a format-1 row:
// reading was half of docs verify's CPU (docs/performance.md, "Verify, second pass").
//
// Format 1: the canonical fields (CANONICAL_FIELDS), prev_hash, hash.
// Format 2: the canonical fields (CANONICAL_FIELDS_V2), prev_hash, hash, then each
// personal field's value and salt beside the row (format-v2.ts, PERSONAL_VALUE_COLUMNS). Salt and
// value packed into one column by SQL read slower than the two columns (the expression that keeps
// null, other lengths and other types apart cost more than the column it saved).

export interface ChunkStatements {
  /** Rows whose format is not 2, `id > ? and id <= ?`, in id order. */
  v1: string
  /** Rows whose format is 2, with their personal values beside them, likewise. */
  v2: string
}

const V1_COUNT = CANONICAL_FIELDS.length
const V2_COUNT = CANONICAL_FIELDS_V2.length
const V2_FIRST_COMMITMENT = CANONICAL_FIELDS_V2.indexOf('username_commitment')
const V2_FIRST_PERSONAL = V2_COUNT + 2

/** Where a row of either statement keeps its hash and its prev_hash. */
export const V1_AT = { hash: V1_COUNT + 1, prevHash: V1_COUNT }
export const V2_AT = { hash: V2_COUNT + 1, prevHash: V2_COUNT }

/**
 * The two statements, compiled for `db`'s dialect. Which format a row is read as is decided by
 * SQL's `format = 2`, which is the walk's `Number(format) === 2`: the column is an integer on both
 * backends (SQLite's INTEGER affinity stores '2' and 2.0 as 2), CHECKed to be 1 or 2.
 */
export function chunkStatements(db: Db): ChunkStatements {
  const v1 = db
    .selectFrom('access_log')
    .select([...CANONICAL_FIELDS, 'prev_hash', 'hash'])
    .where('id', '>', 0)
    .where('id', '<=', 0)
    .where('format', '<>', sql.lit(2))
    .orderBy('id')
  const v2 = db
    .selectFrom('access_log as a')
    .leftJoin('access_log_personal as p', 'p.id', 'a.id')
    .select(([...CANONICAL_FIELDS_V2, 'prev_hash', 'hash'] as const).map((c) => `a.${c}` as const))
    .select(PERSONAL_VALUE_COLUMNS.map((c) => `p.${c} as p_${c}` as const))
    .where('a.id', '>', 0)
    .where('a.id', '<=', 0)
    .where('a.format', '=', sql.lit(2))
    .orderBy('a.id')
  return { v1: v1.compile().sql, v2: v2.compile().sql }
}

/** Whether a row of the v1 statement gives its stored hash. */
export function v1RowRight(v: readonly unknown[]): boolean {
  return positionalHash(v, false, V1_COUNT) === v[V1_AT.hash]
}

/** Whether a row of the v2 statement gives its stored hash and every personal value its commitment. */
export function v2RowRight(v: readonly unknown[]): boolean {
  if (positionalHash(v, true, V2_COUNT) !== v[V2_AT.hash]) return false
  for (let i = 0; i < PERSONAL_FIELDS.length; i++) {
    const value = v[V2_FIRST_PERSONAL + 2 * i] as string | number | null
    if (personalFieldWrong(v[V2_FIRST_COMMITMENT + i] as string | null, value, v[V2_FIRST_PERSONAL + 2 * i + 1] as string | null)) return false
  }
  return true
}

import type { Db } from '../../db/database.js'
import { CANONICAL_FIELDS, type CanonicalRow } from '../chain/row.js'

// Whole rows of the chain, for what proves them: a receipt's rows in canonical form with their
// hashes, and the hashes a receipt or an expected head is checked against (docs/receipts.md).

/** A row of the log as it is hashed, with its place in the chain. */
export interface ChainRow {
  id: number
  canonical: CanonicalRow
  prevHash: string
  hash: string
}

/**
 * The rows of document `documentId`, oldest first: of one delivery and of one user when given
 * (docs/decisions.md, "A client user's receipt holds their own accesses").
 */
export async function documentRowsOf(
  db: Db,
  documentId: number,
  only: { deliveryId: number | null; userId: number | null },
): Promise<ChainRow[]> {
  let query = db.selectFrom('access_log').selectAll().where('document_id', '=', documentId)
  if (only.deliveryId !== null) query = query.where('delivery_id', '=', only.deliveryId)
  if (only.userId !== null) query = query.where('user_id', '=', only.userId)
  const rows = await query.orderBy('id').execute()
  return rows.map((row) => {
    const canonical: Record<string, string | number | null> = {}
    for (const field of CANONICAL_FIELDS) {
      const value = row[field as keyof typeof row]
      canonical[field] = value === null || value === undefined ? null : typeof value === 'string' ? value : Number(value)
    }
    return { id: Number(row.id), canonical: canonical as CanonicalRow, prevHash: row.prev_hash, hash: row.hash }
  })
}

/** The stored hash of each of these rows that still exists, by id. */
export async function rowHashesOf(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  const stored = new Map<number, string>()
  for (let i = 0; i < ids.length; i += 500) {
    const found = await db.selectFrom('access_log').select(['id', 'hash']).where('id', 'in', ids.slice(i, i + 500)).execute()
    for (const f of found) stored.set(Number(f.id), f.hash)
  }
  return stored
}

/** The stored hash of row `id`, or null when the log holds no such row. */
export async function rowHashOf(db: Db, id: number): Promise<string | null> {
  const row = await db.selectFrom('access_log').select('hash').where('id', '=', id).executeTakeFirst()
  return row ? row.hash : null
}

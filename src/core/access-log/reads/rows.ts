import type { Db } from '../../db/database.js'
import { CANONICAL_FIELDS, CANONICAL_FIELDS_V2, PERSONAL_FIELDS, type CanonicalRowV1 } from '../chain/row.js'

// Whole rows of the chain, for what proves them: a receipt's rows in canonical form with their
// hashes, and the hashes a receipt or an expected head is checked against (docs/receipts.md).

type Scalar = string | number | null

/**
 * A row as a receipt carries it: the fields of format 1, and for a row of format 2 also its
 * format, kind, details and commitments, with the personal values (in the fields of format 1)
 * and their salts from beside it, so anyone can check each value against its commitment. An
 * erased value and its salt are null. A row of format 1 carries exactly what it always did.
 */
export type WideRow = CanonicalRowV1 & Record<string, Scalar | undefined>

/** A row of the log as it is hashed, with its place in the chain. */
export interface ChainRow {
  id: number
  canonical: WideRow
  prevHash: string
  hash: string
}

/**
 * The access rows (views, downloads) of document `documentId` up to row `throughId`, oldest first:
 * of one delivery and of one user when given (docs/decisions.md, "A client user's receipt holds
 * their own accesses").
 */
export async function documentRowsOf(
  db: Db,
  documentId: number,
  only: { deliveryId: number | null; userId: number | null; throughId?: number },
): Promise<ChainRow[]> {
  let query = wideRows(db)
    .where('a.document_id', '=', documentId)
    // Accesses only: the rows with an action.
    .where('a.action', 'is not', null)
  if (only.deliveryId !== null) query = query.where('a.delivery_id', '=', only.deliveryId)
  if (only.userId !== null) query = query.where('a.user_id', '=', only.userId)
  if (only.throughId !== undefined) query = query.where('a.id', '<=', only.throughId)
  return ((await query.orderBy('a.id').execute()) as Record<string, unknown>[]).map(chainRowOf)
}

/** The rows of these kinds up to row `throughId` (or all), oldest first, of one document or of one client. */
export async function eventRowsOf(
  db: Db,
  of: { documentId?: number; clientId?: number },
  kinds: readonly string[],
  throughId?: number,
): Promise<ChainRow[]> {
  let query = wideRows(db).where('a.kind', 'in', [...kinds])
  if (throughId !== undefined) query = query.where('a.id', '<=', throughId)
  if (of.documentId !== undefined) query = query.where('a.document_id', '=', of.documentId)
  if (of.clientId !== undefined) query = query.where('a.client_id', '=', of.clientId)
  return ((await query.orderBy('a.id').execute()) as Record<string, unknown>[]).map(chainRowOf)
}

/** Row `id` of the log as a receipt carries it, or null when the log holds no such row. */
export async function chainRowById(db: Db, id: number): Promise<ChainRow | null> {
  const row = (await wideRows(db).where('a.id', '=', id).executeTakeFirst()) as Record<string, unknown> | undefined
  return row ? chainRowOf(row) : null
}

/**
 * The newest row of document `documentId` that a receipt of this scope holds: an access of its
 * delivery or user when given, or a row of one of `kinds`; 0 when there is none.
 */
export async function lastDocumentRowId(
  db: Db,
  documentId: number,
  only: { deliveryId: number | null; userId: number | null },
  kinds: readonly string[],
): Promise<number> {
  const row = await db
    .selectFrom('access_log')
    .select((eb) => eb.fn.max('id').as('last'))
    .where('document_id', '=', documentId)
    .where((eb) => {
      const access = [eb('action', 'is not', null)]
      if (only.deliveryId !== null) access.push(eb('delivery_id', '=', only.deliveryId))
      if (only.userId !== null) access.push(eb('user_id', '=', only.userId))
      return eb.or([eb.and(access), ...(kinds.length > 0 ? [eb('kind', 'in', [...kinds])] : [])])
    })
    .executeTakeFirst()
  return Number(row?.last ?? 0)
}

/** access_log joined to its personal values and salts, as chainRowOf reads them. */
export function wideRows(db: Db) {
  return db
    .selectFrom('access_log as a')
    .leftJoin('access_log_personal as p', 'p.id', 'a.id')
    .selectAll('a')
    .select(PERSONAL_FIELDS.flatMap((f) => [`p.${f} as p_${f}`, `p.${f}_salt as p_${f}_salt`] as const))
}

/** A row of wideRows as a receipt carries it. */
export function chainRowOf(row: Record<string, unknown>): ChainRow {
  const scalar = (value: unknown): Scalar =>
    value === null || value === undefined ? null : typeof value === 'string' ? value : Number(value)
  const canonical: Record<string, Scalar> = {}
  const v2 = Number(row.format) === 2
  for (const field of CANONICAL_FIELDS) canonical[field] = scalar(row[field])
  if (v2) {
    canonical.format = 2
    for (const field of CANONICAL_FIELDS_V2) canonical[field] = scalar(row[field])
    for (const field of PERSONAL_FIELDS) {
      canonical[field] = scalar(row[`p_${field}`])
      canonical[`${field}_salt`] = scalar(row[`p_${field}_salt`])
    }
  }
  return { id: Number(row.id), canonical: canonical as WideRow, prevHash: String(row.prev_hash), hash: String(row.hash) }
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

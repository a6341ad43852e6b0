import { firstOpenedAt } from '../access-log/reads/opened.js'
import type { Db } from '../db/database.js'

// How users came in and when they first opened something (docs/rules.md#document-links-and-login):
// what a client's admins see on /users before they activate a stranger.

/** How one user arrived and when it first opened a document (null: never). */
export interface Arrival {
  /** The document whose link the user registered through; null for any other way in. */
  document: { id: number; title: string; competence: string | null } | null
  firstOpenedAt: string | null
}

/** Remembers the document link a user registered through. */
export async function recordArrival(
  db: Db,
  input: { userId: number; documentId: number; deliveryId: number | null },
): Promise<void> {
  await db
    .insertInto('user_arrivals')
    .values({ user_id: input.userId, document_id: input.documentId, delivery_id: input.deliveryId })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute()
}

/** The arrival of each of these users (one query each for the documents and the first opens). */
export async function arrivalsOf(db: Db, userIds: number[]): Promise<Map<number, Arrival>> {
  const result = new Map<number, Arrival>(userIds.map((id) => [id, { document: null, firstOpenedAt: null }]))
  if (userIds.length === 0) return result
  const documents = await db
    .selectFrom('user_arrivals')
    .innerJoin('documents', 'documents.id', 'user_arrivals.document_id')
    .select(['user_arrivals.user_id', 'documents.id', 'documents.title', 'documents.competence'])
    .where('user_arrivals.user_id', 'in', userIds)
    .where('documents.expired_at', 'is', null)
    .execute()
  for (const row of documents) {
    result.get(Number(row.user_id))!.document = {
      id: Number(row.id),
      title: row.title,
      competence: row.competence,
    }
  }
  for (const [userId, at] of await firstOpenedAt(db, userIds)) result.get(userId)!.firstOpenedAt = at
  return result
}

/** The names of a client's active admins: whom a pending user should ask for activation. */
export async function activeAdminNames(db: Db, clientId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('client_users')
    .select('name')
    .where('client_id', '=', clientId)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .orderBy('id')
    .execute()
  return rows.map((r) => r.name)
}

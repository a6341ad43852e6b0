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
    .execute()
  for (const row of documents) {
    result.get(Number(row.user_id))!.document = {
      id: Number(row.id),
      title: row.title,
      competence: row.competence,
    }
  }
  // The first row of each user by id is its first open: the log is append-only, ids grow with
  // time, and (user_id, id) is indexed. One min() per user reads one index entry; a GROUP BY over
  // the users read every row of each (a group head's 50,000: docs/performance.md, "Scale").
  const firsts = await db
    .selectFrom('access_log')
    .select(['user_id', 'at'])
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('client_users')
        .select((u) =>
          u
            .selectFrom('access_log as first')
            .select((f) => f.fn.min('first.id').as('id'))
            .whereRef('first.user_id', '=', 'client_users.id')
            .as('id'),
        )
        .where('client_users.id', 'in', userIds),
    )
    .execute()
  for (const row of firsts) result.get(Number(row.user_id))!.firstOpenedAt = row.at
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

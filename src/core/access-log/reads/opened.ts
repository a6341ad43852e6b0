import { expressionBuilder, sql, type Expression, type SqlBool } from 'kysely'
import type { Db } from '../../db/database.js'
import type { Database } from '../../db/tables.js'

// Who has opened what, as other modules ask it (docs/rules.md#access-log-integrity): the set a
// user opened, each user's first open, and the filters "nobody opened it" that document lists add
// to their own statements. Each keeps the exact SQL its page was tuned with (docs/performance.md).

// The filters are correlated with the caller's `documents` row.
const onDocuments = expressionBuilder<Database, 'documents'>()

/** The ids among `documentIds` that `user` has opened or downloaded, by any channel. */
export async function openedBy(db: Db, user: { id: number }, documentIds: readonly number[]): Promise<Set<number>> {
  if (documentIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('access_log')
    .select('document_id')
    .distinct()
    .where('user_id', '=', user.id)
    .where('document_id', 'in', [...documentIds])
    .execute()
  return new Set(rows.map((row) => Number(row.document_id)))
}

/** A filter on `documents`: nobody has opened or downloaded the document. */
export function neverOpened(): Expression<SqlBool> {
  const { not, exists, selectFrom } = onDocuments
  return not(
    exists(
      selectFrom('access_log')
        .select('access_log.id')
        .whereRef('access_log.document_id', '=', 'documents.id')
        // An access has an action; the document's own document.published row does not count.
        .where('access_log.action', 'is not', null),
    ),
  )
}

/** A filter on `documents`: nobody has downloaded the document (a view does not count). */
export function neverDownloaded(): Expression<SqlBool> {
  const { not, exists, selectFrom } = onDocuments
  return not(
    exists(
      selectFrom('access_log')
        .select(sql`1`.as('one'))
        .whereRef('access_log.document_id', '=', 'documents.id')
        .where('access_log.action', '=', 'download'),
    ),
  )
}

/** A filter on `documents`: user `userId` has not opened or downloaded the document. */
export function notOpenedBy(userId: number): Expression<SqlBool> {
  const { not, exists, selectFrom } = onDocuments
  return not(
    exists(
      selectFrom('access_log')
        .select(sql`1`.as('one'))
        .whereRef('access_log.document_id', '=', 'documents.id')
        .where('access_log.user_id', '=', userId),
    ),
  )
}

/** When each of these users first opened a document; users who never did are absent. */
export async function firstOpenedAt(db: Db, userIds: number[]): Promise<Map<number, string>> {
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
  return new Map(firsts.map((row) => [Number(row.user_id), row.at]))
}

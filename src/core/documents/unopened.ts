import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { ClientUser } from '../identity/users.js'
import type { VisibleScope } from '../identity/visibility.js'

// "Novo" in the client area (docs/decisions.md, "Client area: due soon, new, accesses, ZIP"): a
// document is new to a user until that user has opened or downloaded it, by any channel. Derived
// from the access log, so nothing else has to be kept in step.

/** The ids among `documentIds` that `user` has opened or downloaded. */
export async function openedBy(db: Db, user: Pick<ClientUser, 'id'>, documentIds: readonly number[]): Promise<Set<number>> {
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

export interface SinceLastVisit {
  /** When the user's previous login was; null before the second login (nothing to compare). */
  since: string | null
  /** Documents inside the scope sent after then that the user has not opened yet. */
  count: number
}

/** What arrived for `user` since their previous login and is still unopened by them. */
export async function newSinceLastVisit(db: Db, user: Pick<ClientUser, 'id'>, scope: VisibleScope): Promise<SinceLastVisit> {
  const row = await db
    .selectFrom('client_users')
    .select('previous_login_at')
    .where('id', '=', user.id)
    .executeTakeFirst()
  const since = row?.previous_login_at ?? null
  if (!since || scope.clientIds.length === 0 || scope.categories.length === 0) return { since, count: 0 }
  const counted = await db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('documents.client_id', 'in', scope.clientIds)
    .where('documents.category', 'in', scope.categories)
    .where('documents.created_at', '>', since)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('access_log')
            .select(sql`1`.as('one'))
            .whereRef('access_log.document_id', '=', 'documents.id')
            .where('access_log.user_id', '=', user.id),
        ),
      ),
    )
    .executeTakeFirstOrThrow()
  return { since, count: Number(counted.n) }
}

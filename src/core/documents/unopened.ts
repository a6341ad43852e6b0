import { notOpenedBy } from '../access-log/reads/opened.js'
import type { Db } from '../db/database.js'
import type { ClientUser } from '../identity/users.js'
import type { VisibleScope } from '../identity/visibility.js'

// "Novo" in the client area (docs/decisions.md, "Client area: due soon, new, accesses, ZIP"): a
// document is new to a user until that user has opened or downloaded it, by any channel. Derived
// from the access log, so nothing else has to be kept in step: which documents of a page a user
// opened is the access log's `openedBy` (core/access-log/reads/opened.ts).

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
    .where('documents.expired_at', 'is', null)
    .where(notOpenedBy(user.id))
    .executeTakeFirstOrThrow()
  return { since, count: Number(counted.n) }
}

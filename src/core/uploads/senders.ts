import { parseCategory, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { ForbiddenError, NotFoundError } from '../errors.js'
import { scopeOfFreshUser, type VisibleScope } from '../identity/visibility.js'
import { getUser, type ClientUser } from '../identity/users.js'

// Who may send the firm files, and see what was sent (docs/rules.md#uploads): active
// administrators, and active collaborators whose visibility covers the company and the category;
// a group head's users for every company of the group (visibleScope). Pending and disabled users
// never: nobody has vouched for the first, the second were shut out.

/** The user `userId` as it is now, with what it may see; refuses anyone not active. */
export async function activeSender(db: Db, userId: number): Promise<{ user: ClientUser; scope: VisibleScope }> {
  const user = await getUser(db, userId)
  if (user.status !== 'active') {
    throw new ForbiddenError(`user '${user.username}' is ${user.status}: only active users can send files`, {
      reason: user.status === 'pending' ? 'user_is_pending' : 'user_is_disabled',
    })
  }
  return { user, scope: await scopeOfFreshUser(db, user) }
}

/**
 * Refuses, as not found, a company and category outside `scope`: a person never learns that a
 * request or an upload it may not see exists.
 */
export function assertCovers(scope: VisibleScope, target: { clientId: number; category: string | null }, what: string): void {
  const category = target.category ?? 'outros'
  if (!scope.clientIds.includes(target.clientId) || !(scope.categories as readonly string[]).includes(category)) {
    throw new NotFoundError(`no ${what}`)
  }
}

/** The request a user answers, if it may: visible to it, and still waiting for files. */
export async function requestToAnswer(
  db: Db,
  scope: VisibleScope,
  requestId: number,
): Promise<{ id: number; clientId: number; category: Category; title: string; status: string }> {
  const row = await db
    .selectFrom('requests')
    .select(['id', 'client_id', 'category', 'title', 'status'])
    .where('id', '=', requestId)
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`no request ${requestId}`)
  const request = { id: Number(row.id), clientId: Number(row.client_id), category: parseCategory(row.category), title: row.title, status: row.status }
  assertCovers(scope, request, `request ${requestId}`)
  return request
}

import type { Db } from '../db/database.js'
import { NotFoundError } from '../errors.js'
import { getUser, listUsers, type ClientUser } from '../identity/users.js'
import { canSee, scopeOfFreshUser, type VisibleScope } from '../identity/visibility.js'
import { getRequest, selectRequests, toRequests, type DocumentRequest } from './requests.js'

// Who may see and answer a request (docs/requests.md, "Who may answer"; docs/rules.md#requests):
// active administrators, and active collaborators whose visibility covers the request's category
// and company; a group head's users for every company of the group. Pending and disabled users
// never, and anyone else learns nothing: a request they may not see is "not found", like one that
// does not exist.

/** Whether `user`, as read in this same request or transaction, may see and answer `request`. */
export async function mayAnswer(db: Db, user: ClientUser, request: { clientId: number; category: string }): Promise<boolean> {
  if (user.status !== 'active') return false
  return canSee(await scopeOfFreshUser(db, user), request)
}

/** Request `id` for `user`, or NotFoundError when it does not exist or the user may not see it. */
export async function requestForUser(db: Db, user: ClientUser, id: number): Promise<DocumentRequest> {
  const request = await getRequest(db, id).catch((e: unknown) => {
    if (e instanceof NotFoundError) return null
    throw e
  })
  if (!request || !(await mayAnswer(db, user, request))) throw new NotFoundError('not found')
  return request
}

/** `requestForUser` with the user re-read inside `trx`: a user disabled meanwhile answers nothing. */
export async function requestForAnswer(trx: Db, userId: number, id: number): Promise<{ user: ClientUser; request: DocumentRequest }> {
  const user = await getUser(trx, userId).catch(() => null)
  if (!user) throw new NotFoundError('not found')
  return { user, request: await requestForUser(trx, user, id) }
}

/** At most this many requests in the client area's "Pendências". */
export const PENDING_REQUESTS_LIMIT = 50

/**
 * The open requests `user` may answer, most urgent first: overdue ones, then by due date (an
 * earlier due date is always more urgent). A request the firm reopened carries its reason.
 * `scope` is the user's, when the caller has just read it (the dashboard does): not read twice.
 */
export async function pendingRequestsFor(db: Db, user: ClientUser, scope?: VisibleScope): Promise<DocumentRequest[]> {
  if (user.status !== 'active') return []
  scope ??= await scopeOfFreshUser(db, user)
  if (scope.clientIds.length === 0 || scope.categories.length === 0) return []
  const rows = await selectRequests(db)
    .where('requests.status', '=', 'open')
    .where('requests.client_id', 'in', scope.clientIds)
    .where('requests.category', 'in', scope.categories)
    .orderBy('requests.due_date')
    .orderBy('requests.id')
    .limit(PENDING_REQUESTS_LIMIT)
    .execute()
  return toRequests(db, rows)
}

/**
 * The people who may answer `request` and have an e-mail: the active users of its company and of
 * its group head who may see it, each address once (reminders and the firm's answers go to them).
 */
export async function answerersOf(db: Db, request: { clientId: number; category: string }): Promise<{ userId: number; email: string }[]> {
  const client = await db.selectFrom('clients').select('group_head_id').where('id', '=', request.clientId).executeTakeFirstOrThrow()
  const clientIds = [request.clientId, ...(client.group_head_id === null ? [] : [Number(client.group_head_id)])]
  const out = new Map<string, { userId: number; email: string }>()
  for (const clientId of clientIds) {
    for (const user of await listUsers(db, { clientId, status: 'active' })) {
      if (!user.email || out.has(user.email.toLowerCase())) continue
      if (await mayAnswer(db, user, request)) out.set(user.email.toLowerCase(), { userId: user.id, email: user.email })
    }
  }
  return [...out.values()]
}

import { effectiveRequireLogin } from '../clients/clients.js'
import type { Db } from '../db/database.js'
import { recordArrival } from './arrivals.js'
import { getDocument, type Document } from './documents.js'
import { GoneError, NotFoundError } from '../errors.js'
import type { PasswordHasher } from '../identity/passwords.js'
import type { SessionScope } from '../identity/sessions.js'
import { registerUser, type Registration } from '../identity/registration.js'
import type { ClientUser } from '../identity/users.js'
import { areaClientIds, canSee, PENDING_HIDDEN_CATEGORY, scopeOfFreshUser } from '../identity/visibility.js'

// Who may open what (docs/rules.md#document-links-and-login, docs/rules.md#portal-security), in one place for every adapter. The user records passed
// here must have been read in the same request (see `scopeOfFreshUser`): a status or role
// changed since must count.

/** A logged-in visitor: the user as read with the session, and the session's scope. */
export interface AccessViewer {
  user: ClientUser
  sessionScope: SessionScope
}

/**
 * What a delivery link does for a visitor: show the document, ask for a login, or refuse; a
 * refusal says why when the visitor is of the right company: the account awaits activation
 * (a pending user on a `pessoal` document) or an admin hid the category or company.
 */
export type DeliveryAccess = 'open' | 'login' | 'denied' | 'awaiting_activation' | 'restricted'

/**
 * What a client-area page does for a visitor: open; tell a pending user to wait; ask an
 * activated user holding a delivery-only session to log in again; or treat them as nobody.
 */
export type AreaAccess = 'open' | 'pending' | 'reauthenticate' | 'denied'

/** Decides a delivery link for a visitor (null when nobody is logged in). */
export async function decideDeliveryAccess(
  db: Db,
  viewer: AccessViewer | null,
  document: Pick<Document, 'clientId' | 'category'>,
): Promise<DeliveryAccess> {
  // Without a required login the link opens for anyone, and who is logged in changes nothing.
  if (!(await effectiveRequireLogin(db, document.clientId))) return 'open'
  // A disabled user can open nothing, and a disabled user's session is no login at all.
  if (!viewer || viewer.user.status === 'disabled') return 'login'
  // A delivery-only session (granted while pending) opens its own client's documents only.
  if (viewer.sessionScope === 'delivery' && viewer.user.clientId !== document.clientId) {
    return 'denied'
  }
  const scope = await scopeOfFreshUser(db, viewer.user)
  if (canSee(scope, document)) return 'open'
  return refusalFor(db, viewer.user, document)
}

// Why a user is refused a document: "denied" tells nothing to a user of another company.
async function refusalFor(
  db: Db,
  user: ClientUser,
  document: Pick<Document, 'clientId' | 'category'>,
): Promise<DeliveryAccess> {
  if (user.status === 'pending') {
    const own = user.clientId === document.clientId
    return own && document.category === PENDING_HIDDEN_CATEGORY ? 'awaiting_activation' : 'denied'
  }
  // The client area would show it to an admin of this user's client: an admin restricted it.
  const area = await areaClientIds(db, user.clientId)
  return area.includes(document.clientId) ? 'restricted' : 'denied'
}

/** Decides a client-area page (documents, users, account) for a logged-in visitor. */
export function decideAreaAccess(viewer: AccessViewer): AreaAccess {
  const { user, sessionScope } = viewer
  if (user.status === 'disabled') return 'denied'
  if (user.status === 'pending') return 'pending'
  // Activated since its delivery session began: the scope was fixed at login, so log in again.
  return sessionScope === 'area' ? 'open' : 'reauthenticate'
}

/**
 * The session a user gets by logging in or registering on a delivery link: a client-area session
 * when active; when pending, a delivery-only one, and only on its own client's links; else none.
 */
export function deliverySessionScope(
  user: ClientUser,
  document: Pick<Document, 'clientId'>,
): SessionScope | null {
  if (user.status === 'active') return 'area'
  if (user.status === 'pending' && user.clientId === document.clientId) return 'delivery'
  return null
}

/**
 * The document with this id if `user` may see it, else null: another client's document is
 * indistinguishable from one that does not exist (docs/rules.md#portal-security).
 */
export async function findVisibleDocument(
  db: Db,
  user: ClientUser,
  id: number,
): Promise<Document | null> {
  const document = await getDocument(db, id).catch(async (error: unknown) => {
    if (error instanceof NotFoundError) return null
    // Only someone who could have seen it learns that it expired; to anyone else it never existed.
    if (error instanceof GoneError) {
      const row = await db.selectFrom('documents').select(['client_id', 'category']).where('id', '=', id).executeTakeFirstOrThrow()
      if (!canSee(await scopeOfFreshUser(db, user), { clientId: Number(row.client_id), category: row.category })) return null
    }
    throw error
  })
  if (!document) return null
  return canSee(await scopeOfFreshUser(db, user), document) ? document : null
}

/** Whether a delivery link offers login and create-account: only when its client requires login. */
export async function deliveryTakesLogins(
  db: Db,
  document: Pick<Document, 'clientId'>,
): Promise<boolean> {
  return effectiveRequireLogin(db, document.clientId)
}

/**
 * Registers a user of the document's client through its delivery link (origin `document_link`,
 * first-user rule). Refused with NotFoundError when the client does not require login: such a
 * link offers no registration, or anyone holding a forwarded link could become the admin of a
 * client without users (and, through a group head, see the whole group).
 */
export async function registerThroughDelivery(
  db: Db,
  document: Pick<Document, 'id' | 'clientId'>,
  input: Omit<Registration, 'clientId' | 'origin'>,
  hasher?: PasswordHasher,
  deliveryId: number | null = null,
): Promise<ClientUser> {
  if (!(await deliveryTakesLogins(db, document))) {
    throw new NotFoundError(
      `document ${document.id}'s client does not require login, so its links offer no registration`,
    )
  }
  const registration = { ...input, clientId: document.clientId, origin: 'document_link' as const }
  const user = await registerUser(db, registration, hasher)
  // After the user's own transaction: a lost arrival only shows "pelo link de um documento".
  await recordArrival(db, { userId: user.id, documentId: document.id, deliveryId })
  return user
}

import { activeAdminNames } from '../core/documents/arrivals.js'
import type { ClientUser } from '../core/identity/users.js'
import { render, viewerOf, type Auth, type PortalContext } from './env.js'
import { m } from './messages.js'
import type { Refusal } from './refusals.js'
import { MessagePage } from './views/auth.js'
import { PendingPage } from './views/pending.js'

// The pages several routes answer with: refusals, waits and notices. Each fills in the firm's
// name and the viewer the same way.

type MessageProps = Omit<Parameters<typeof MessagePage>[0], 'firmName'>

/** A page with a heading and a message, under the firm's name. */
export function messagePage(c: PortalContext, props: MessageProps, status: number): Response {
  // Errors can come before the firm's options are read (they are read after the health route).
  const firmName = c.var.firm?.firmName ?? m.appName
  return render(c, MessagePage({ firmName, ...props }), status)
}

/** The error handler's page for a refusal: its status, title and sentence, never cached. */
export function errorPage(c: PortalContext, refusal: Refusal): Response {
  c.header('Cache-Control', 'no-store')
  if (refusal.retryAfterSeconds !== undefined) c.header('Retry-After', String(refusal.retryAfterSeconds))
  const viewer = viewerOf(c.var.auth ?? null)
  // An expired or revoked link sends the reader to the firm: show how to reach it.
  const contact = refusal.status === 410 ? c.var.firm : undefined
  return messagePage(c, { viewer, title: refusal.title, message: refusal.message, kind: 'error', contact }, refusal.status)
}

/** The page of an unknown address, or of a thing the visitor may not know exists. */
export function notFoundPage(c: PortalContext): Response {
  return errorPage(c, { status: 404, title: m.errors.notFoundTitle, message: m.errors.notFound })
}

/** A known address asked with a method it does not take: 405, and the ones it does in Allow. */
export function methodNotAllowedPage(c: PortalContext, allowed: string[]): Response {
  c.header('Allow', allowed.join(', '))
  return errorPage(c, { status: 405, title: m.errors.methodTitle, message: m.errors.method })
}

/**
 * The page a pending user gets after the correct password, or on a document it may not open yet:
 * wait for an admin, named, with the firm's contact (docs/rules.md#document-links-and-login); no session.
 */
export async function pendingUserPage(
  c: PortalContext,
  user: Pick<ClientUser, 'clientId'>,
  text: { title: string; message: string } = { title: m.login.pendingTitle, message: m.login.pending },
  status = 403,
): Promise<Response> {
  const admins = await activeAdminNames(c.var.deps.db, user.clientId)
  return render(c, PendingPage({ firm: c.var.firm, viewer: viewerOf(c.var.auth), admins, ...text }), status)
}

/**
 * The right password of a disabled account: it is told so, with who can reactivate it (only the
 * account's owner knows the password, docs/security.md, "Disabled accounts"); no session.
 */
export async function disabledUserPage(c: PortalContext, user: ClientUser): Promise<Response> {
  const admins = await activeAdminNames(c.var.deps.db, user.clientId)
  const page = PendingPage({
    firm: c.var.firm,
    viewer: null,
    admins,
    title: m.login.disabledTitle,
    message: m.login.disabled,
    adminsText: m.pending.reactivators,
  })
  return render(c, page, 403)
}

/** A collaborator on an admin's page. */
export function onlyAdminsPage(c: PortalContext, auth: Auth): Response {
  return messagePage(
    c,
    { viewer: viewerOf(auth), title: m.errors.forbiddenTitle, message: m.users.onlyAdmins, kind: 'error' },
    403,
  )
}

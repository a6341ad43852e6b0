import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import {
  createPendingLogin,
  endPendingLogin,
  lookupPendingLogin,
  PENDING_LOGIN_SECONDS,
  type PendingLogin,
} from '../core/identity/pending-logins.js'
import type { SessionScope } from '../core/identity/sessions.js'
import { secondStepFor } from '../core/identity/two-factor.js'
import { getUser, type ClientUser } from '../core/identity/users.js'
import type { PortalContext } from './env.js'
import { isHttps, startSession } from './session.js'

// Between the right password and a session (docs/rules.md#two-factor-login): a login that owes a
// second factor, or its set-up under the firm's policy, gets a pending-login cookie and the
// matching page instead of a session.

export const CODE_PATH = '/login/codigo'
export const SETUP_PATH = '/login/configurar'

function pendingCookieName(c: PortalContext): string {
  return isHttps(c.var.firm) ? '__Host-confi_pending' : 'confi_pending'
}

/**
 * Finishes a password login: a session and a redirect to `next` when nothing more is owed;
 * otherwise a pending login and a redirect to the code or set-up page.
 */
export async function continueLogin(c: PortalContext, user: ClientUser, scope: SessionScope, next: string): Promise<Response> {
  const { db } = c.var.deps
  const step = await secondStepFor(db, user, c.var.firm.require2fa)
  if (step === 'none') {
    await startSession(c, user, scope)
    return c.redirect(next, 303)
  }
  const { token } = await createPendingLogin(db, { userId: user.id, scope, nextPath: next, step })
  setCookie(c, pendingCookieName(c), token, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c.var.firm),
    maxAge: PENDING_LOGIN_SECONDS[step],
  })
  return c.redirect(step === 'code' ? CODE_PATH : SETUP_PATH, 303)
}

/** The request's half-finished login and its user as they are now; null when none is live. */
export async function pendingOf(c: PortalContext): Promise<{ pending: PendingLogin; user: ClientUser } | null> {
  const { db } = c.var.deps
  const pending = await lookupPendingLogin(db, getCookie(c, pendingCookieName(c)) ?? '')
  if (!pending) return null
  const user = await getUser(db, pending.userId)
  // Disabled since the password was typed: the login ends here.
  if (user.status === 'disabled') {
    await endPendingLogin(db, pending.id)
    return null
  }
  return { pending, user }
}

/**
 * Turns a half-finished login into a session (the pending row goes first, so a second request
 * with the same cookie gets nothing); returns where the login was going, or null if it was taken.
 */
export async function finishPendingLogin(c: PortalContext, pending: PendingLogin, user: ClientUser): Promise<string | null> {
  deleteCookie(c, pendingCookieName(c), { path: '/', secure: isHttps(c.var.firm) })
  if (!(await endPendingLogin(c.var.deps.db, pending.id))) return null
  await startSession(c, user, pending.scope)
  return pending.nextPath ?? '/'
}

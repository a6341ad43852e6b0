import { getCookie, setCookie, deleteCookie } from 'hono/cookie'
import type { MiddlewareHandler } from 'hono'
import type { FirmOptions } from '../core/clients/firm.js'
import { createSession, deleteSession, endedSessionReason, type SessionScope } from '../core/identity/sessions.js'
import { issueDeviceCookie, trustedDeviceOf } from '../core/identity/device-cookies.js'
import { authenticateThrottled, lookupSessionUser, type LoginResult } from '../core/identity/authentication.js'
import { usernameKey, type ClientUser } from '../core/identity/users.js'
import { lookupSessionDocument } from '../core/documents/download-lookup.js'
import { idOrNull } from './ids.js'
import type { PortalContext, PortalEnv } from './env.js'
import { userAgentOf } from './header-text.js'
import { m } from './messages.js'

/** Whether cookies must be Secure and `__Host-` prefixed: the portal is served over https. */
export function isHttps(firm: FirmOptions): boolean {
  return firm.baseUrl.startsWith('https://')
}

/** The session cookie's name: `__Host-confi_session` over https (bound to the exact host). */
export function sessionCookieName(firm: FirmOptions): string {
  return isHttps(firm) ? '__Host-confi_session' : 'confi_session'
}

function readToken(c: PortalContext): string {
  return getCookie(c, sessionCookieName(c.var.firm)) ?? ''
}

// A client-area download (routes/documents.tsx): its document is read in the session's statement.
const DOWNLOAD_PATH = /^\/documents\/(\d{1,10})\/files\/[^/]+$/

/** Loads the request's session and user; disabled users and expired sessions count as nobody. */
export function loadAuth(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    c.set('auth', null)
    const token = readToken(c)
    if (token) {
      const { db } = c.var.deps
      const policy = { idleMinutes: c.var.firm.sessionIdleMinutes }
      // Session and user in one query, on every request: a disable or an expiry counts at once.
      // A download reads its document in that same query (core/documents/download-lookup.ts).
      const downloadId = c.req.method === 'GET' ? idOrNull(DOWNLOAD_PATH.exec(c.req.path)?.[1]) : null
      let found
      if (downloadId === null) found = await lookupSessionUser(db, token, policy)
      else {
        const read = await lookupSessionDocument(db, token, policy, downloadId)
        found = read?.session
        if (read) c.set('downloadDocument', { id: downloadId, lookup: read.document })
      }
      if (found && found.user.status !== 'disabled') c.set('auth', { ...found, token })
      else await noteEndedSession(c, token)
    }
    await next()
  }
}

/**
 * A cookie whose session is gone: remembers why for this request's page ("Sua sessão terminou…")
 * and clears the cookie, so the notice shows once; a login in this request sets a new one after.
 */
async function noteEndedSession(c: PortalContext, token: string): Promise<void> {
  c.set('sessionEnd', (await endedSessionReason(c.var.deps.db, token)) ?? 'unknown')
  deleteCookie(c, sessionCookieName(c.var.firm), { path: '/', secure: isHttps(c.var.firm) })
}

// The login page's notice codes (`?aviso=`) for an ended session, by reason.
const SESSION_END_NOTICES = { user_changed: 'sessao-conta', password_changed: 'sessao-senha', expired: 'sessao-expirou', unknown: 'sessao' }

/** The `aviso` code saying this request's session ended and why, or null when none ended. */
export function sessionEndNotice(c: PortalContext): string | null {
  const reason = c.var.sessionEnd
  return reason ? SESSION_END_NOTICES[reason] : null
}

/** The notice texts of the `aviso` codes above. */
export const SESSION_END_TEXTS: Record<string, string> = {
  sessao: m.login.sessionEnded,
  'sessao-conta': m.login.sessionEndedBecause.user_changed,
  'sessao-senha': m.login.sessionEndedBecause.password_changed,
  'sessao-expirou': m.login.sessionEndedBecause.expired,
}

/** The sentence saying this request's session ended and why, for pages that show a login form. */
export function sessionEndedText(c: PortalContext): string | undefined {
  return SESSION_END_TEXTS[sessionEndNotice(c) ?? '']
}

const ENDED_NOTICE_SECONDS = 7 * 86_400

/** Starts a new session (a new token at every login) and sets its cookie. */
export async function startSession(c: PortalContext, user: ClientUser, scope: SessionScope): Promise<void> {
  const { db } = c.var.deps
  const firm = c.var.firm
  // A login replaces whatever session the browser had (no session fixation).
  if (c.var.auth) await deleteSession(db, c.var.auth.token)
  const { token } = await createSession(
    db,
    { userId: user.id, scope, ip: c.var.address.ip, userAgent: userAgentOf(c) },
    { idleMinutes: firm.sessionIdleMinutes, absoluteHours: firm.sessionAbsoluteHours },
  )
  setCookie(c, sessionCookieName(firm), token, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(firm),
    // A week past the session, so a browser back after it expired is told why (noteEndedSession).
    maxAge: firm.sessionAbsoluteHours * 3600 + ENDED_NOTICE_SECONDS,
  })
}

/** Ends the request's session and clears the cookie. */
export async function endSession(c: PortalContext): Promise<void> {
  const token = readToken(c)
  if (token) await deleteSession(c.var.deps.db, token)
  deleteCookie(c, sessionCookieName(c.var.firm), { path: '/', secure: isHttps(c.var.firm) })
  c.set('auth', null)
}

export type LoginOutcome = LoginResult

/**
 * Checks a login under the throttle (core's rule); the caller words a failure with `loginRefusal`
 * (docs/rules.md#portal-security).
 */
export async function attemptLogin(c: PortalContext, username: string, password: string): Promise<LoginOutcome> {
  const { db, hasher, key } = c.var.deps
  const name = usernameKey(username.trim())
  const device = trustedDeviceOf(key, getCookie(c, deviceCookieName(c.var.firm)), name)
  const outcome = await authenticateThrottled(db, { username, password, ip: c.var.address.ip, device }, hasher)
  if (outcome.outcome === 'ok' || outcome.outcome === 'pending') setDeviceCookie(c, issueDeviceCookie(key, name))
  return outcome
}

const DEVICE_COOKIE_DAYS = 180

function deviceCookieName(firm: FirmOptions): string {
  return isHttps(firm) ? '__Host-confi_device' : 'confi_device'
}

// Outlives sessions on purpose: it marks the browser, not a login (device-cookies.ts).
function setDeviceCookie(c: PortalContext, value: string): void {
  setCookie(c, deviceCookieName(c.var.firm), value, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c.var.firm),
    maxAge: DEVICE_COOKIE_DAYS * 86_400,
  })
}

/** The status and sentence of a failed login: 401 "incorretos", or 429 "aguarde" with Retry-After (never "incorretos"). */
export function loginRefusal(c: PortalContext, outcome: LoginOutcome): { status: number; message: string; field?: string } {
  if (outcome.outcome !== 'throttled') return { status: 401, message: m.login.failed, field: 'password' }
  c.header('Retry-After', String(outcome.retryAfterSeconds))
  return { status: 429, message: m.login.throttled(outcome.retryAfterSeconds) }
}

import { Readable } from 'node:stream'
import type { MiddlewareHandler } from 'hono'
import { decideAreaAccess } from '../core/documents/access.js'
import type { AccessOrigin, DownloadConfirmation, FileDownload } from '../core/documents/download.js'
import { owesTwoFactorSetup } from '../core/identity/two-factor.js'
import type { SenderOrigin } from '../core/uploads/index.js'
import type { Auth, PortalContext, PortalEnv } from './env.js'
import { crossSiteDownloadPage } from './cross-site.js'
import { userAgentOf } from './header-text.js'
import { currentPathForNext, loginUrl } from './next-path.js'
import { onlyAdminsPage, pendingUserPage } from './pages.js'
import { sessionEndNotice } from './session.js'

/**
 * The user of a client-area page, or the response to send instead: the login page for nobody
 * (coming back here after it, and saying why a session ended); a wait-for-activation page for a
 * pending user; for a user activated since its delivery-only session began, the login page with a
 * notice, and the session ends (docs/rules.md#document-links-and-login, core's rule).
 */
export async function requireArea(c: PortalContext): Promise<Auth | Response> {
  const auth = c.var.auth
  if (!auth) return c.redirect(loginUrl({ next: currentPathForNext(c), notice: sessionEndNotice(c) }), 303)
  const access = decideAreaAccess({ user: auth.user, sessionScope: auth.session.scope })
  if (access === 'open') return auth
  if (access === 'denied') return c.redirect(loginUrl({ next: currentPathForNext(c) }), 303)
  if (access === 'reauthenticate') {
    // app.ts ends the session after the handler returns.
    c.set('endSession', true)
    return c.redirect(loginUrl({ next: currentPathForNext(c), notice: 'ativada' }), 303)
  }
  return pendingUserPage(c, auth.user)
}

/** Where a session that owes two-factor set-up sets it up (routes/two-factor.tsx). */
export const ACCOUNT_SETUP_PATH = '/account/2fa'
/** Where a user who owes the acceptance of the current terms accepts them (routes/terms.tsx). */
export const TERMS_ACCEPT_PATH = '/termos/aceitar'
// What such a session may still do: set two-factor up, and log out; the terms come first
// (app.ts runs their check before this one), so their pages stay open too.
const OPEN_TO_SETUP_DUE = new Set([ACCOUNT_SETUP_PATH, '/logout', '/termos', TERMS_ACCEPT_PATH])

/**
 * An open session whose user the firm's policy now covers and who has no second factor
 * (docs/rules.md#two-factor-login, core's owesTwoFactorSetup) gets the set-up page on its very
 * next request, whatever it asked for: a client-area session sets it up on /account/2fa (which
 * asks for the password); a delivery-only one cannot reach it, so it ends and the login (whose
 * set-up follows the password) brings the person back.
 */
export function sendToTwoFactorSetup(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const auth = c.var.auth
    if (!auth || !owesTwoFactorSetup(c.var.firm.require2fa, auth.user, auth.twoFactorOn)) return next()
    if (OPEN_TO_SETUP_DUE.has(c.req.path)) return next()
    if (auth.session.scope === 'area') return c.redirect(ACCOUNT_SETUP_PATH, 303)
    // app.ts ends the session after this response is built.
    c.set('endSession', true)
    return c.redirect(loginUrl({ next: currentPathForNext(c) }), 303)
  }
}

/** Like requireArea, and the user must be an admin of its client. */
export async function requireAdmin(c: PortalContext): Promise<Auth | Response> {
  const auth = await requireArea(c)
  if (auth instanceof Response) return auth
  if (auth.user.role !== 'admin') return onlyAdminsPage(c, auth)
  return auth
}

/** The request's part of an access-log row: who, from where, with what browser. */
export function accessOrigin(c: PortalContext, auth: Auth | null): AccessOrigin {
  return {
    user: auth ? { id: auth.user.id, username: auth.user.username, name: auth.user.name } : null,
    ip: c.var.address.ip,
    port: c.var.address.port,
    userAgent: userAgentOf(c),
  }
}

/** Where the request came from, as core's client-side actions take it (the user goes by id). */
export function senderOrigin(c: PortalContext): SenderOrigin {
  return { ip: c.var.address.ip, port: c.var.address.port, userAgent: userAgentOf(c) }
}

/** RFC 6266 Content-Disposition: an ASCII fallback name and the exact UTF-8 name in filename*. */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/["\\%;]/g, '_').trim() || 'arquivo'
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

/**
 * Sends what core's download functions (core/documents/download.ts) answered: the interstitial
 * page for a cross-site request, or the bytes, whose access-log row core has already committed.
 */
export function sendDownload(c: PortalContext, download: FileDownload | DownloadConfirmation): Response {
  if (download.kind === 'confirm') return crossSiteDownloadPage(c, download.fileName)
  const body = Buffer.isBuffer(download.body) ? download.body : Readable.toWeb(download.body)
  return c.body(body as unknown as ArrayBuffer, 200, {
    'Content-Type': download.mediaType,
    'Content-Length': String(download.size),
    'Content-Disposition': contentDisposition(download.fileName),
    'Cache-Control': 'no-store',
  })
}

import { Readable } from 'node:stream'
import { decideAreaAccess } from '../core/documents/access.js'
import { NotFoundError, UnavailableError } from '../core/errors.js'
import type { Attachment } from '../core/documents/documents.js'
import type { AccessEntry, Auth, PortalContext } from './env.js'
import { crossSiteDownloadPage } from './cross-site.js'
import { currentPathForNext, loginUrl } from './next-path.js'
import { onlyAdminsPage, pendingUserPage } from './pages.js'
import { sessionEndNotice } from './session.js'

/** A numeric id from a URL segment; anything else is a 404 like an unknown id. */
export function parseId(value: string | undefined): number {
  // Ids are 32-bit integers (PostgreSQL INTEGER): a larger number is nobody's id, not a 500.
  if (!value || !/^\d{1,10}$/.test(value) || Number(value) > 2_147_483_647) throw new NotFoundError('not found')
  return Number(value)
}

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

/** Like requireArea, and the user must be an admin of its client. */
export async function requireAdmin(c: PortalContext): Promise<Auth | Response> {
  const auth = await requireArea(c)
  if (auth instanceof Response) return auth
  if (auth.user.role !== 'admin') return onlyAdminsPage(c, auth)
  return auth
}

/** The request's part of an access-log row: who, from where, with what browser. */
export function accessOrigin(c: PortalContext, auth: Auth | null): Pick<AccessEntry, 'user' | 'ip' | 'port' | 'userAgent'> {
  return {
    user: auth ? { id: auth.user.id, username: auth.user.username, name: auth.user.name } : null,
    ip: c.var.address.ip,
    port: c.var.address.port,
    userAgent: c.req.header('user-agent')?.slice(0, 500) ?? null,
  }
}

/** Commits the access-log row, or fails the request with 503 so nothing is served unlogged. */
export async function recordAccessOrFail(c: PortalContext, entry: AccessEntry): Promise<void> {
  try {
    await c.var.deps.accessLog.record(entry)
  } catch (error) {
    throw new UnavailableError(`the access log could not be written: ${(error as Error).message}`)
  }
}

// Files up to this size are read whole: faster than a stream for the usual PDFs (docs/performance.md).
const READ_WHOLE_LIMIT = 1024 * 1024

/** RFC 6266 Content-Disposition: an ASCII fallback name and the exact UTF-8 name in filename*. */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/["\\%;]/g, '_').trim() || 'arquivo'
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

/**
 * Sends an attachment by its stored key: reads it first (a missing file serves nothing and logs
 * nothing), then commits the access-log row, then sends the first byte.
 */
export async function sendAttachment(c: PortalContext, attachment: Attachment, entry: AccessEntry): Promise<Response> {
  const confirm = crossSiteDownloadPage(c, attachment.fileName)
  if (confirm) return confirm
  const { store } = c.var.deps
  let body: Buffer | Readable
  try {
    if (attachment.size <= READ_WHOLE_LIMIT) {
      body = await store.read(attachment.storageKey)
    } else {
      // A stream opens lazily: check the file is there before the access is logged.
      if (!(await store.stat(attachment.storageKey))) throw new Error('the stored file is missing')
      body = store.open(attachment.storageKey)
    }
  } catch (error) {
    throw new UnavailableError(`attachment ${attachment.id} cannot be read: ${(error as Error).message}`)
  }
  try {
    await recordAccessOrFail(c, entry)
  } catch (error) {
    if (!Buffer.isBuffer(body)) body.destroy()
    throw error
  }
  const stream = Buffer.isBuffer(body) ? body : Readable.toWeb(body)
  return c.body(stream as unknown as ArrayBuffer, 200, {
    'Content-Type': attachment.mediaType || 'application/octet-stream',
    'Content-Length': String(attachment.size),
    'Content-Disposition': contentDisposition(attachment.fileName),
    'Cache-Control': 'no-store',
  })
}

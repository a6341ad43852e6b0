import { Hono } from 'hono'
import { localDate } from '../../core/time.js'
import { serveZipDownload, type ZipAccess } from '../../core/documents/download.js'
import { planDocumentZip, planListZip, zipFileName, type ZipPlan } from '../../core/documents/zip.js'
import { scopeOfFreshUser } from '../../core/identity/visibility.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { isCrossSiteDownload } from '../cross-site.js'
import { accessOrigin, requireArea, sendDownload } from '../guards.js'
import { m } from '../messages.js'
import { MessagePage } from '../views/auth.js'
import { filterQuery, formatSize } from '../views/documents.js'
import { readAreaQuery, visibleDocument } from './document-request.js'

/** The pt-BR page for a plan core refused (too many files, too large, nothing to zip). */
function refusal(c: PortalContext, auth: Auth, plan: Exclude<ZipPlan, { ok: true }>, back: string): Response {
  const message =
    plan.reason === 'empty'
      ? m.zip.empty
      : plan.reason === 'too_many_files'
        ? m.zip.tooManyFiles(plan.files, plan.atLeast)
        : m.zip.tooLarge(formatSize(plan.bytes))
  return render(
    c,
    MessagePage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(auth),
      title: m.zip.refusedTitle,
      message,
      kind: 'error',
      link: { href: back, text: m.zip.back },
    }),
    plan.reason === 'empty' ? 404 : 422,
  )
}

/**
 * Streams the archive of an accepted plan. Core commits one download row per file (`access`: the
 * channel and who) before the first byte; a file that cannot be read serves nothing.
 */
export async function sendZip(c: PortalContext, access: ZipAccess, plan: Extract<ZipPlan, { ok: true }>, fileName: string): Promise<Response> {
  const download = await serveZipDownload(c.var.deps, plan.entries, fileName, {
    crossSite: isCrossSiteDownload(c),
    access,
  })
  return sendDownload(c, download)
}

function portalAccess(c: PortalContext, auth: Auth): ZipAccess {
  return { channel: 'portal', ...accessOrigin(c, auth) }
}

/** GET /documents/zip (the filtered list) and GET /documents/:id/zip (one document's files). */
export function zipRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/zip', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const scope = await scopeOfFreshUser(c.var.deps.db, auth.user)
    const { filters, errors, query } = readAreaQuery(c, scope)
    const back = filterQuery(filters)
    if (errors.length > 0) return c.redirect(back, 303)
    const plan = await planListZip(c.var.deps.db, query)
    if (!plan.ok) return refusal(c, auth, plan, back)
    return sendZip(c, portalAccess(c, auth), plan, zipFileName(`documentos-${localDate()}`))
  })

  app.get('/:id/zip', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const document = await visibleDocument(c, auth)
    const plan = planDocumentZip(document)
    if (!plan.ok) return refusal(c, auth, plan, `/documents/${document.id}`)
    return sendZip(c, portalAccess(c, auth), plan, zipFileName(document.title))
  })

  return app
}

import { Hono } from 'hono'
import { findVisibleDocument, listVisibleDocuments } from '../../core/documents/access.js'
import type { Document } from '../../core/documents/documents.js'
import { NotFoundError } from '../../core/errors.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { accessOrigin, parseId, recordAccessOrFail, requireArea, sendAttachment } from '../guards.js'
import { m } from '../messages.js'
import { DashboardPage, DocumentPage } from '../views/documents.js'

const PAGE_SIZE = 25

const NOTICES: Record<string, string> = { admin: m.area.createdAdmin }

/** The document of the URL if the user may see it; else the same 404 as a nonexistent one. */
async function visibleDocument(c: PortalContext, auth: Auth): Promise<Document> {
  const document = await findVisibleDocument(c.var.deps.db, auth.user, parseId(c.req.param('id')))
  if (!document) throw new NotFoundError('not found')
  return document
}

/** The dashboard's filters as typed; core checks them against what the user may see. */
function readFilters(c: PortalContext) {
  const company = c.req.query('company') ?? ''
  return {
    company: /^\d{1,15}$/.test(company) ? Number(company) : undefined,
    category: c.req.query('category') || undefined,
    competence: (c.req.query('competence') ?? '').trim() || undefined,
    after: c.req.query('after') || null,
  }
}

/** GET /: the documents of every company the user may see (core's `listVisibleDocuments`). */
export function dashboardRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/', async (c) => {
    const auth = requireArea(c)
    if (auth instanceof Response) return auth
    const filters = readFilters(c)
    const listing = await listVisibleDocuments(c.var.deps.db, auth.user, { ...filters, limit: PAGE_SIZE })
    const error = listing.invalid.includes('cursor')
      ? m.documents.badCursor
      : listing.invalid.includes('competence')
        ? m.documents.badCompetence
        : undefined
    return render(
      c,
      DashboardPage({
        firmName: c.var.firm.firmName,
        viewer: viewerOf(auth)!,
        companies: listing.companies,
        categories: listing.categories,
        filters: listing.filters,
        items: listing.items,
        nextCursor: listing.nextCursor,
        paged: Boolean(filters.after),
        notice: NOTICES[c.req.query('aviso') ?? ''],
        error,
      }),
      error ? 400 : 200,
    )
  })

  return app
}

/** GET /documents/:id and its file downloads (channel `portal`). */
export function documentRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/:id', async (c) => {
    const auth = requireArea(c)
    if (auth instanceof Response) return auth
    const document = await visibleDocument(c, auth)
    const html = render(
      c,
      DocumentPage({
        firmName: c.var.firm.firmName,
        viewer: viewerOf(auth),
        document,
        fileHref: (attachmentId) => `/documents/${document.id}/files/${attachmentId}`,
        back: true,
      }),
    )
    await recordAccessOrFail(c, {
      documentId: document.id,
      clientId: document.clientId,
      channel: 'portal',
      action: 'view',
      ...accessOrigin(c, auth),
    })
    return html
  })

  app.get('/:id/files/:attachmentId', async (c) => {
    const auth = requireArea(c)
    if (auth instanceof Response) return auth
    const document = await visibleDocument(c, auth)
    const attachmentId = parseId(c.req.param('attachmentId'))
    const attachment = document.attachments.find((a) => a.id === attachmentId)
    if (!attachment) throw new NotFoundError('not found')
    return sendAttachment(c, attachment, {
      documentId: document.id,
      attachmentId: attachment.id,
      clientId: document.clientId,
      channel: 'portal',
      action: 'download',
      ...accessOrigin(c, auth),
    })
  })

  return app
}

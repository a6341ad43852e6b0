import { Hono } from 'hono'
import type { Category } from '../../core/documents/categories.js'
import { getClient } from '../../core/clients/clients.js'
import { findVisibleDocument } from '../../core/documents/access.js'
import { listDocuments, parseCompetence, type Document } from '../../core/documents/documents.js'
import { NotFoundError, ValidationError } from '../../core/errors.js'
import { scopeOfFreshUser, type VisibleScope } from '../../core/identity/visibility.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { accessOrigin, parseId, recordAccessOrFail, requireArea, sendAttachment } from '../guards.js'
import { m } from '../messages.js'
import { DashboardPage, DocumentPage, type DashboardFilters } from '../views/documents.js'
import { competenceFromInput } from '../form-values.js'

const PAGE_SIZE = 25

const NOTICES: Record<string, string> = { admin: m.area.createdAdmin }

/** The document of the URL if the user may see it; else the same 404 as a nonexistent one. */
async function visibleDocument(c: PortalContext, auth: Auth): Promise<Document> {
  const document = await findVisibleDocument(c.var.deps.db, auth.user, parseId(c.req.param('id')))
  if (!document) throw new NotFoundError('not found')
  return document
}

function readFilters(c: PortalContext, scope: VisibleScope): { filters: DashboardFilters; error?: string } {
  const filters: DashboardFilters = {}
  let error: string | undefined
  const company = c.req.query('company') ?? ''
  if (/^\d{1,15}$/.test(company)) filters.company = Number(company)
  const category = c.req.query('category') ?? ''
  if ((scope.categories as readonly string[]).includes(category)) filters.category = category
  const competence = (c.req.query('competence') ?? '').trim()
  if (competence) {
    try {
      filters.competence = parseCompetence(competenceFromInput(competence))
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e
      error = m.documents.badCompetence
    }
  }
  return { filters, error }
}

/** GET /, GET /documents/:id and its file downloads (channel `portal`). */
export function documentRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/', async (c) => {
    const auth = requireArea(c)
    if (auth instanceof Response) return auth
    const { db } = c.var.deps
    const scope = await scopeOfFreshUser(db, auth.user)
    const { filters, error } = readFilters(c, scope)
    // A company outside the scope is filtered to nothing, never widened.
    const clientIds = filters.company ? scope.clientIds.filter((id) => id === filters.company) : scope.clientIds
    const after = c.req.query('after') || null
    let page: { items: Document[]; nextCursor: string | null }
    let pageError = error
    try {
      page = await listDocuments(db, {
        clientIds,
        categories: scope.categories,
        category: filters.category as Category | undefined,
        competence: filters.competence,
        after,
        limit: PAGE_SIZE,
      })
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e
      page = { items: [], nextCursor: null }
      pageError = m.documents.badCursor
    }
    const companies = await Promise.all(
      scope.clientIds.map(async (id) => ({ id, name: (await getClient(db, id)).name })),
    )
    return render(
      c,
      DashboardPage({
        firmName: c.var.firm.firmName,
        viewer: viewerOf(auth)!,
        companies,
        categories: scope.categories,
        filters,
        items: page.items,
        nextCursor: page.nextCursor,
        paged: Boolean(after),
        notice: NOTICES[c.req.query('aviso') ?? ''],
        error: pageError,
      }),
      pageError ? 400 : 200,
    )
  })

  app.get('/documents/:id', async (c) => {
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

  app.get('/documents/:id/files/:attachmentId', async (c) => {
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

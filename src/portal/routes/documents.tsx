import { Hono } from 'hono'
import { openedBy } from '../../core/access-log/reads/opened.js'
import { clientNames } from '../../core/clients/clients.js'
import { listDocumentAccesses } from '../../core/documents/accesses.js'
import { listDocuments, type Document } from '../../core/documents/documents.js'
import { DUE_SOON_LIMIT, listDueSoon } from '../../core/documents/due-soon.js'
import { newSinceLastVisit } from '../../core/documents/unopened.js'
import { commitAccess, serveAreaDownload } from '../../core/documents/download.js'
import { ValidationError } from '../../core/errors.js'
import { scopeOfFreshUser } from '../../core/identity/visibility.js'
import { pendingRequestsFor } from '../../core/requests/access.js'
import { render, viewerOf, type PortalEnv } from '../env.js'
import { isCrossSiteDownload } from '../cross-site.js'
import { accessOrigin, idOrNull, parseId, requireArea, sendDownload } from '../guards.js'
import { m } from '../messages.js'
import { AccessesSection } from '../views/accesses.js'
import { DashboardPage, DocumentPage } from '../views/documents.js'
import { readAreaQuery, visibleDocument } from './document-request.js'
import { documentReceiptRoutes } from './receipts.js'
import { zipRoutes } from './zip.js'

const PAGE_SIZE = 25

const NOTICES: Record<string, string> = { admin: m.area.createdAdmin }

/** GET /: the documents of every company the user may see, with "A vencer" and what is new. */
export function dashboardRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const { db } = c.var.deps
    const scope = await scopeOfFreshUser(db, auth.user)
    const { filters, errors, query } = readAreaQuery(c, scope)
    const after = c.req.query('after') || null
    let page: { items: Document[]; nextCursor: string | null } = { items: [], nextCursor: null }
    try {
      page = await listDocuments(db, { ...query, after, limit: PAGE_SIZE })
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e
      errors.push({ fieldId: null, message: m.documents.badCursor })
    }
    const [companies, requests, dueSoon, opened, news] = await Promise.all([
      clientNames(db, scope.clientIds),
      after ? null : pendingRequestsFor(db, auth.user),
      after ? null : listDueSoon(db, scope),
      openedBy(db, auth.user, page.items.map((d) => d.id)),
      newSinceLastVisit(db, auth.user, scope),
    ])
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
        requests,
        dueSoon: dueSoon ? { items: dueSoon, full: dueSoon.length >= DUE_SOON_LIMIT } : null,
        opened,
        newSinceLastVisit: news.count,
        notice: NOTICES[c.req.query('aviso') ?? ''],
        errors,
        typed: { competence: c.req.query('competence'), q: c.req.query('q') },
      }),
      errors.length > 0 ? 400 : 200,
    )
  })

  return app
}

/** GET /documents/:id, its file downloads (channel `portal`) and the ZIP downloads. */
export function documentRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  // Before /:id, which would take `zip` for an id.
  app.route('/', zipRoutes())
  app.route('/', documentReceiptRoutes())

  app.get('/:id', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const document = await visibleDocument(c, auth)
    // The view is logged before the list is read, so the list includes it: the first view of a
    // document never says that nobody opened it. A view that cannot be logged still shows nothing.
    await commitAccess(c.var.deps.accessLog, {
      documentId: document.id,
      clientId: document.clientId,
      channel: 'portal',
      action: 'view',
      ...accessOrigin(c, auth),
    })
    const accesses = await listDocumentAccesses(c.var.deps.db, auth.user, document)
    return render(
      c,
      DocumentPage({
        firmName: c.var.firm.firmName,
        viewer: viewerOf(auth),
        document,
        fileHref: (attachmentId) => `/documents/${document.id}/files/${attachmentId}`,
        back: true,
        zipHref: `/documents/${document.id}/zip`,
        children: AccessesSection({ accesses }),
        receiptHref: `/documents/${document.id}/comprovante`,
      }),
    )
  })

  app.get('/:id/files/:attachmentId', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const download = await serveAreaDownload(c.var.deps, auth.user, parseId(c.req.param('id')), {
      attachmentId: idOrNull(c.req.param('attachmentId')),
      crossSite: isCrossSiteDownload(c),
      origin: accessOrigin(c, auth),
    })
    return sendDownload(c, download)
  })

  return app
}

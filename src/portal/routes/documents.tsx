import { Hono } from 'hono'
import { openedBy } from '../../core/access-log/reads/opened.js'
import { clientUser } from '../../core/actors.js'
import { clientNames } from '../../core/clients/clients.js'
import { listDocumentAccesses } from '../../core/documents/accesses.js'
import { listDocuments, type Document } from '../../core/documents/documents.js'
import { DUE_SOON_LIMIT, listDueSoon } from '../../core/documents/due-soon.js'
import { newSinceLastVisit } from '../../core/documents/unopened.js'
import { commitAccess, serveAreaDownload } from '../../core/documents/download.js'
import { getPayment, markPaid, unmarkPaid } from '../../core/documents/payments.js'
import { ValidationError } from '../../core/errors.js'
import { scopeOfFreshUser } from '../../core/identity/visibility.js'
import { markPaidWithProof, UploadRefusedError } from '../../core/uploads/index.js'
import { pendingRequestsFor } from '../../core/requests/access.js'
import { localDate } from '../../core/time.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { isCrossSiteDownload } from '../cross-site.js'
import { dateFromInput, field } from '../forms.js'
import { accessOrigin, requireArea, sendDownload, senderOrigin } from '../guards.js'
import { idOrNull, parseId } from '../ids.js'
import { m } from '../messages.js'
import { formRefusal } from '../refusals.js'
import { AccessesSection } from '../views/accesses.js'
import { DashboardPage, DocumentPage } from '../views/documents.js'
import { fieldErrors, fieldId, type FieldError } from '../views/fields.js'
import { PAYMENT_PREFIX, PaymentSection, PROOF_FIELD } from '../views/payment.js'
import { readAreaQuery, visibleDocument } from './document-request.js'
import { bodyStream, isMultipart, limitsOf, uploadRefusal } from './uploads.js'
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
      after ? null : pendingRequestsFor(db, auth.user, scope),
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

const PAYMENT_NOTICES: Record<string, string> = { pago: m.payment.marked, desmarcado: m.payment.unmarked }

/** A document's page in the client area; showing it is a view, logged before anything is read. */
async function documentPage(
  c: PortalContext,
  auth: Auth,
  document: Document,
  extra: { notice?: string; errors?: FieldError[]; typedDate?: string },
  status = 200,
): Promise<Response> {
  // The view is logged before the list is read, so the list includes it: the first view of a
  // document never says that nobody opened it. A view that cannot be logged still shows nothing.
  await commitAccess(c.var.deps.accessLog, {
    documentId: document.id,
    clientId: document.clientId,
    channel: 'portal',
    action: 'view',
    ...accessOrigin(c, auth),
  })
  const { db } = c.var.deps
  const [accesses, payment] = await Promise.all([
    listDocumentAccesses(db, auth.user, document),
    document.dueDate ? getPayment(db, document.id) : null,
  ])
  return render(
    c,
    DocumentPage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(auth),
      document,
      fileHref: (attachmentId) => `/documents/${document.id}/files/${attachmentId}`,
      back: true,
      note: extra.notice,
      zipHref: `/documents/${document.id}/zip`,
      children: AccessesSection({ accesses }),
      receiptHref: `/documents/${document.id}/comprovante`,
      // Only a guide is paid.
      payment: document.dueDate
        ? PaymentSection({ documentId: document.id, payment, today: localDate(), maxMb: (await limitsOf(c)).maxMb, errors: extra.errors, typedDate: extra.typedDate })
        : undefined,
      errors: extra.errors,
    }),
    status,
  )
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
    return documentPage(c, auth, await visibleDocument(c, auth), { notice: PAYMENT_NOTICES[c.req.query('aviso') ?? ''] })
  })

  // docs/rules.md#guides-marked-paid: core decides who may; a refusal shows on the page, 4xx. The
  // form is multipart, with an optional proof that core stores as an upload (docs/uploads.md); a
  // urlencoded post (a page loaded before the proof field existed) marks without one.
  app.post('/:id/pago', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const document = await visibleDocument(c, auth)
    const { deps } = c.var
    const contentType = c.req.header('content-type')
    let typed = ''
    try {
      const origin = senderOrigin(c)
      if (isMultipart(contentType)) {
        const paidOnFrom = (fields: Map<string, string>) => dateFromInput((typed = fields.get('paid_on') ?? ''))
        await markPaidWithProof(deps.db, deps.store, { userId: auth.user.id, documentId: document.id, body: bodyStream(c), contentType, origin, paidOnFrom })
      } else {
        typed = field(await c.req.parseBody(), 'paid_on')
        await markPaid(deps.db, clientUser(auth.user.id), document.id, { paidOn: dateFromInput(typed), origin })
      }
    } catch (error) {
      if (error instanceof UploadRefusedError) {
        const refusal = await uploadRefusal(c, error)
        const errors = [{ fieldId: fieldId(PAYMENT_PREFIX, PROOF_FIELD), message: refusal.message }]
        // Core reads the date only after the proof passed: a refused one carries it in `fields`.
        const typedDate = error.fields.get('paid_on') || typed || undefined
        return documentPage(c, auth, document, { errors, typedDate }, refusal.status)
      }
      const refusal = formRefusal(c, error)
      const errors = fieldErrors(PAYMENT_PREFIX, refusal)
      return documentPage(c, auth, document, { errors, typedDate: typed || undefined }, refusal.status)
    }
    return c.redirect(`/documents/${document.id}?aviso=pago`, 303)
  })

  app.post('/:id/pago/desmarcar', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const document = await visibleDocument(c, auth)
    try {
      await unmarkPaid(c.var.deps.db, clientUser(auth.user.id), document.id, senderOrigin(c))
    } catch (error) {
      const refusal = formRefusal(c, error)
      return documentPage(c, auth, document, { errors: [{ fieldId: null, message: refusal.message }] }, refusal.status)
    }
    return c.redirect(`/documents/${document.id}?aviso=desmarcado`, 303)
  })

  app.get('/:id/files/:attachmentId', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const id = parseId(c.req.param('id'))
    // The document as session.ts's loadAuth read it with the session, in this same request.
    const read = c.var.downloadDocument
    const download = await serveAreaDownload(
      c.var.deps,
      auth.user,
      id,
      { attachmentId: idOrNull(c.req.param('attachmentId')), crossSite: isCrossSiteDownload(c), origin: accessOrigin(c, auth) },
      read?.id === id ? { scope: auth.scope, document: read.lookup } : undefined,
    )
    return sendDownload(c, download)
  })

  return app
}

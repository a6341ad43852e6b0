import { Hono } from 'hono'
import {
  decideDeliveryAccess,
  deliverySessionScope,
  deliveryTakesLogins,
  registerThroughDelivery,
  type AccessViewer,
} from '../../core/documents/access.js'
import type { Delivery } from '../../core/delivery/deliveries.js'
import { resolveDelivery } from '../../core/delivery/deliveries.js'
import type { Document } from '../../core/documents/documents.js'
import { commitAccess, serveDeliveryDownload } from '../../core/documents/download.js'
import { GoneError, NotFoundError } from '../../core/errors.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { readLoginForm, readRegisterForm } from '../forms.js'
import { isCrossSiteDownload } from '../cross-site.js'
import { accessOrigin, sendDownload, senderOrigin } from '../guards.js'
import { idOrNull } from '../ids.js'
import { m } from '../messages.js'
import { disabledUserPage, messagePage, pendingUserPage } from '../pages.js'
import { formRefusal } from '../refusals.js'
import { attemptLogin, loginRefusal, sessionEndedText } from '../session.js'
import { continueLogin } from '../second-step.js'
import { LoginAndRegisterPage, type FormValues } from '../views/auth.js'
import { fieldErrors, type FieldError } from '../views/fields.js'
import { confirmPassword } from '../../core/identity/passwords.js'
import { DocumentPage } from '../views/documents.js'
import { currentTerms } from '../../core/identity/terms.js'
import { planDocumentZip, zipFileName } from '../../core/documents/zip.js'
import type { ZipAccess } from '../../core/documents/download.js'
import { sendZip } from './zip.js'
import { answerLinkPreviewers } from '../link-preview.js'

interface Resolved {
  delivery: Delivery
  document: Document
}

type Gate =
  | { kind: 'open'; auth: Auth | null }
  | { kind: 'login' }
  | { kind: 'denied' | 'awaiting_activation' | 'restricted'; auth: Auth }

async function resolveToken(c: PortalContext): Promise<Resolved> {
  const result = await resolveDelivery(c.var.deps.db, c.req.param('token') ?? '')
  if (result.status === 'unknown') throw new NotFoundError('unknown delivery')
  if (result.status !== 'ok') throw new GoneError(`delivery ${result.status}`, { reason: `link_${result.status}` })
  return { delivery: result.delivery, document: result.document }
}

/** The visitor as core's access rules see it. */
function accessViewer(auth: Auth | null): AccessViewer | null {
  return auth ? { user: auth.user, sessionScope: auth.session.scope } : null
}

async function gate(c: PortalContext, document: Document): Promise<Gate> {
  const auth = c.var.auth
  const decision = await decideDeliveryAccess(c.var.deps.db, accessViewer(auth), document)
  // Open: a logged-in visitor is recorded even where no login is required.
  if (decision === 'open') return { kind: 'open', auth }
  if (decision === 'login' || !auth) return { kind: 'login' }
  return { kind: decision, auth }
}

/**
 * A link whose client does not require login offers no login or registration: the POST lands on
 * the link's page, which simply opens the document (docs/rules.md#document-links-and-login).
 */
async function refuseUnlessLoginLink(
  c: PortalContext,
  document: Document,
): Promise<Response | null> {
  if (await deliveryTakesLogins(c.var.deps.db, document)) return null
  return c.redirect(`/d/${c.req.param('token')}`, 303)
}

async function loginPage(
  c: PortalContext,
  extra: { errors?: FieldError[]; username?: string; values?: FormValues } = {},
  status = 401,
): Promise<Response> {
  const token = c.req.param('token') ?? ''
  const termsId = (await currentTerms(c.var.deps.db))?.id ?? null
  // No document data here: not the title, not the company, not the file names.
  return render(
    c,
    LoginAndRegisterPage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(c.var.auth),
      title: m.login.title,
      intro: m.delivery.loginRequired,
      loginAction: `/d/${token}/login`,
      registerAction: `/d/${token}/register`,
      notice: sessionEndedText(c),
      termsId,
      ...extra,
    }),
    status,
  )
}

/** The refusal of a gated link to a logged-in user, saying why when it is of the right company. */
async function refusalPage(c: PortalContext, access: Gate & { auth: Auth }): Promise<Response> {
  if (access.kind === 'awaiting_activation') {
    return pendingUserPage(c, access.auth.user, { title: m.pending.documentTitle, message: m.pending.document })
  }
  return deniedPage(c, access.auth, access.kind === 'restricted' ? m.delivery.restricted : m.delivery.notAllowed)
}

function deniedPage(c: PortalContext, auth: Auth, message: string): Response {
  const page = { title: m.delivery.notAllowedTitle, message, kind: 'error' as const, link: null }
  return messagePage(c, { viewer: viewerOf(auth), ...page }, 403)
}

// Who opens through this link: the part of an access row that is the same for every file.
function linkAccess(c: PortalContext, resolved: Resolved, auth: Auth | null): ZipAccess {
  return { channel: resolved.delivery.channel, deliveryId: resolved.delivery.id, ...accessOrigin(c, auth) }
}

function entryOf(c: PortalContext, resolved: Resolved, auth: Auth | null) {
  return { documentId: resolved.document.id, clientId: resolved.document.clientId, ...linkAccess(c, resolved, auth) }
}

/** GET /d/:token and its files, POST /d/:token/login and /register (docs/rules.md#document-links-and-login). */
export function deliveryRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()
  // Before the token is even looked up: a preview learns nothing, not whether the link works.
  app.use('*', answerLinkPreviewers())

  app.get('/:token', async (c) => {
    const resolved = await resolveToken(c)
    const access = await gate(c, resolved.document)
    if (access.kind === 'login') return loginPage(c)
    if (access.kind !== 'open') return refusalPage(c, access)
    const token = c.req.param('token')
    const auth = access.auth
    const html = render(
      c,
      DocumentPage({
        firmName: c.var.firm.firmName,
        viewer: viewerOf(auth),
        document: resolved.document,
        fileHref: (attachmentId) => `/d/${token}/files/${attachmentId}`,
        back: auth?.session.scope === 'area',
        note: auth?.user.status === 'pending' ? m.delivery.pendingNote : undefined,
        zipHref: `/d/${token}/zip`,
      }),
    )
    await commitAccess(c.var.deps.accessLog, { ...entryOf(c, resolved, auth), action: 'view' })
    return html
  })

  // "Baixar todos (ZIP)" of a link with several files: the same gate as one file, a row per file.
  app.get('/:token/zip', async (c) => {
    const resolved = await resolveToken(c)
    const access = await gate(c, resolved.document)
    if (access.kind === 'login') return c.redirect(`/d/${c.req.param('token')}`, 303)
    if (access.kind !== 'open') return refusalPage(c, access)
    const plan = planDocumentZip(resolved.document)
    if (!plan.ok) throw new NotFoundError('nothing to zip')
    return sendZip(c, linkAccess(c, resolved, access.auth), plan, zipFileName(resolved.document.title))
  })

  app.get('/:token/files/:attachmentId', async (c) => {
    const resolved = await resolveToken(c)
    const auth = c.var.auth
    const download = await serveDeliveryDownload(c.var.deps, resolved, accessViewer(auth), {
      attachmentId: idOrNull(c.req.param('attachmentId')),
      crossSite: isCrossSiteDownload(c),
      origin: accessOrigin(c, auth),
    })
    if (download.kind !== 'refused') return sendDownload(c, download)
    // The file URL of a gated link leads to the link's page, which asks for the login.
    if (download.access === 'login' || !auth) return c.redirect(`/d/${c.req.param('token')}`, 303)
    return refusalPage(c, { kind: download.access, auth })
  })

  app.post('/:token/login', async (c) => {
    const resolved = await resolveToken(c)
    const refused = await refuseUnlessLoginLink(c, resolved.document)
    if (refused) return refused
    const { username, password } = await readLoginForm(c)
    const outcome = await attemptLogin(c, username, password)
    if (outcome.outcome === 'ok' || outcome.outcome === 'pending') {
      const scope = deliverySessionScope(outcome.user, resolved.document)
      // A pending user of another client learns only that its account awaits activation.
      if (!scope) return pendingUserPage(c, outcome.user)
      // The same second step as /login, back to this link after it (docs/rules.md#two-factor-login).
      return continueLogin(c, outcome.user, scope, `/d/${c.req.param('token')}`)
    }
    if (outcome.outcome === 'disabled') return disabledUserPage(c, outcome.user)
    const refusal = loginRefusal(c, outcome)
    return loginPage(c, { errors: fieldErrors('login', refusal), username }, refusal.status)
  })

  app.post('/:token/register', async (c) => {
    const resolved = await resolveToken(c)
    const refused = await refuseUnlessLoginLink(c, resolved.document)
    if (refused) return refused
    const { values, password, passwordConfirm, termsId } = await readRegisterForm(c)
    let user
    try {
      confirmPassword(password, passwordConfirm)
      user = await registerThroughDelivery(
        c.var.deps.db,
        resolved.document,
        { ...values, password, ...senderOrigin(c), termsId },
        c.var.deps.hasher,
        resolved.delivery.id,
      )
    } catch (error) {
      const refusal = formRefusal(c, error)
      return loginPage(c, { errors: fieldErrors('register', refusal), values }, refusal.status)
    }
    // The user lands on the document, not the client area; a pending user gets a delivery-only session.
    return continueLogin(c, user, deliverySessionScope(user, resolved.document) ?? 'delivery', `/d/${c.req.param('token')}`)
  })

  return app
}

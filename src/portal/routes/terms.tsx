import { Hono, type MiddlewareHandler } from 'hono'
import { ConflictError, NotFoundError } from '../../core/errors.js'
import { acceptTerms, currentTerms } from '../../core/identity/terms.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { field } from '../forms.js'
import { senderOrigin, TERMS_ACCEPT_PATH } from '../guards.js'
import { idOrNull } from '../ids.js'
import { m } from '../messages.js'
import { currentPathForNext, DEFAULT_PATH, loginUrl, safeNextPath } from '../next-path.js'
import { AcceptTermsPage, TermsPage } from '../views/terms.js'

// The firm's terms in the portal (docs/rules.md#terms-and-consent): anyone reads them at /termos;
// a logged-in user who has not accepted the current version is sent to /termos/aceitar from
// every other page until they accept (or log out).

/** The public page of the current terms. */
const TERMS_PATH = '/termos'

// What a session that owes the acceptance may still reach: the terms, accepting them, logging out.
const OPEN_TO_TERMS_DUE = new Set([TERMS_PATH, TERMS_ACCEPT_PATH, '/logout'])

/**
 * Sends every request of a session whose user has not accepted the current terms to the
 * acceptance page, whatever it asked for (pages, files, forms, links). The session query read
 * `termsDueId` already (core's lookupSessionUser): no query of its own. A visitor without a
 * session (a link that needs no login) is not asked: there is no account to consent for.
 */
export function sendToTermsAcceptance(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const auth = c.var.auth
    if (!auth || auth.termsDueId === null || OPEN_TO_TERMS_DUE.has(c.req.path)) return next()
    const back = currentPathForNext(c)
    const query = back && back !== DEFAULT_PATH ? `?next=${encodeURIComponent(back)}` : ''
    return c.redirect(`${TERMS_ACCEPT_PATH}${query}`, 303)
  }
}

// The acceptance page shows the user's name and the way out, not the menu it cannot use yet.
function acceptViewer(auth: Auth) {
  return { ...viewerOf(auth)!, area: false }
}

async function acceptPage(c: PortalContext, auth: Auth, next: string | null, notice?: string, status = 200): Promise<Response> {
  const terms = await currentTerms(c.var.deps.db)
  if (!terms) return c.redirect(next ?? DEFAULT_PATH, 303)
  return render(c, AcceptTermsPage({ firmName: c.var.firm.firmName, viewer: acceptViewer(auth), terms, next, notice }), status)
}

/** GET /termos, GET and POST /termos/aceitar. */
export function termsRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/', async (c) => {
    const terms = await currentTerms(c.var.deps.db)
    if (!terms) throw new NotFoundError('no terms published')
    return render(c, TermsPage({ firmName: c.var.firm.firmName, viewer: viewerOf(c.var.auth), terms }))
  })

  app.get('/aceitar', async (c) => {
    const next = safeNextPath(c.req.query('next'))
    const auth = c.var.auth
    if (!auth) return c.redirect(loginUrl({ next: TERMS_ACCEPT_PATH }), 303)
    if (auth.termsDueId === null) return c.redirect(next ?? DEFAULT_PATH, 303)
    return acceptPage(c, auth, next)
  })

  app.post('/aceitar', async (c) => {
    const form = await c.req.parseBody()
    const next = safeNextPath(field(form, 'next'))
    const auth = c.var.auth
    if (!auth) return c.redirect(loginUrl({ next: TERMS_ACCEPT_PATH }), 303)
    if (auth.termsDueId === null) return c.redirect(next ?? DEFAULT_PATH, 303)
    const termsId = idOrNull(field(form, 'terms_id'))
    try {
      // Only the version the page showed, and only if it is still the current one.
      if (termsId === null) throw new ConflictError('no terms version in the form', { reason: 'terms_changed' })
      await acceptTerms(c.var.deps.db, auth.user, termsId, senderOrigin(c))
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      return acceptPage(c, auth, next, m.terms.changed, 409)
    }
    return c.redirect(next ?? DEFAULT_PATH, 303)
  })

  return app
}

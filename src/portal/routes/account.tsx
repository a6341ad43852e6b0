import { PassThrough, Readable } from 'node:stream'
import { Hono } from 'hono'
import { exportOwnData } from '../../core/privacy/own-export.js'
import { changePassword } from '../../core/identity/credentials.js'
import { getUser } from '../../core/identity/users.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { field } from '../forms.js'
import { contentDisposition, requireArea, senderOrigin } from '../guards.js'
import { m } from '../messages.js'
import { formRefusal } from '../refusals.js'
import { startSession } from '../session.js'
import { AccountPage } from '../views/account.js'
import { TwoFactorCard } from '../views/two-factor.js'
import { fieldErrors, type FieldError } from '../views/fields.js'
import { confirmPassword } from '../../core/identity/passwords.js'
import { twoFactorRequired, twoFactorState } from '../../core/identity/two-factor.js'

/** The account page, with the two-factor card (routes/two-factor.tsx answers its forms). */
export async function accountPage(c: PortalContext, auth: Auth, extra: { notice?: string; errors?: FieldError[] } = {}, status = 200) {
  const state = await twoFactorState(c.var.deps.db, auth.user.id)
  const card = TwoFactorCard({ state, required: twoFactorRequired(c.var.firm.require2fa, auth.user) })
  return render(c, AccountPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth)!, user: auth.user, ...extra, children: card }), status)
}

const NOTICES: Record<string, string> = { senha: m.account.changed, '2fa': m.twoFactor.disabled }

/** GET /account and POST /account/password (asks for the current password). */
export function accountRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const notice = NOTICES[c.req.query('feito') ?? '']
    return accountPage(c, auth, { notice })
  })

  app.post('/password', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const form = await c.req.parseBody()
    const { db, hasher } = c.var.deps
    try {
      confirmPassword(field(form, 'password'), field(form, 'password_confirm'))
      await changePassword(db, auth.user.id, field(form, 'current_password'), field(form, 'password'), hasher)
    } catch (error) {
      const refusal = formRefusal(c, error)
      return accountPage(c, auth, { errors: fieldErrors('account', refusal) }, refusal.status)
    }
    // Every session of the user ended with the change; this browser gets a fresh one.
    c.set('auth', null)
    await startSession(c, await getUser(db, auth.user.id), 'area')
    return c.redirect('/account?feito=senha', 303)
  })

  // "Meus dados": the user's own export (docs/privacy.md). A POST, so a link or an image on another
  // site cannot start it (requireSameOrigin checks the form's origin); the log row and the firm's
  // e-mail are committed before the first byte.
  app.post('/meus-dados', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const write = await exportOwnData(c.var.deps.db, auth.user.id, senderOrigin(c))
    const body = new PassThrough()
    write(body).catch((error: unknown) => body.destroy(error as Error))
    return c.body(Readable.toWeb(body) as unknown as ArrayBuffer, 200, {
      'Content-Type': 'application/zip',
      'Content-Disposition': contentDisposition(`meus-dados-${auth.user.username}.zip`),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    })
  })

  return app
}

import { Hono } from 'hono'
import { ForbiddenError, ThrottledError, ValidationError } from '../../core/errors.js'
import { changePassword } from '../../core/identity/credentials.js'
import { getUser } from '../../core/identity/users.js'
import { field, render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { requireArea } from '../guards.js'
import { m, translateError, waitText } from '../messages.js'
import { startSession } from '../session.js'
import { AccountPage } from '../views/account.js'

function accountPage(c: PortalContext, auth: Auth, extra: { notice?: string; error?: string } = {}, status = 200) {
  return render(c, AccountPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth)!, user: auth.user, ...extra }), status)
}

/** GET /account and POST /account/password (asks for the current password). */
export function accountRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/account', (c) => {
    const auth = requireArea(c)
    if (auth instanceof Response) return auth
    const notice = c.req.query('feito') === 'senha' ? m.account.changed : undefined
    return accountPage(c, auth, { notice })
  })

  app.post('/account/password', async (c) => {
    const auth = requireArea(c)
    if (auth instanceof Response) return auth
    const form = await c.req.parseBody()
    const { db, hasher } = c.var.deps
    try {
      await changePassword(db, auth.user.id, field(form, 'current_password'), field(form, 'password'), hasher)
    } catch (error) {
      if (error instanceof ThrottledError) {
        c.header('Retry-After', String(error.retryAfterSeconds))
        return accountPage(c, auth, { error: waitText(error.retryAfterSeconds) }, 429)
      }
      if (error instanceof ForbiddenError) return accountPage(c, auth, { error: m.account.wrongCurrent }, 400)
      if (error instanceof ValidationError) return accountPage(c, auth, { error: translateError(error) }, 400)
      throw error
    }
    // Every session of the user ended with the change; this browser gets a fresh one.
    c.set('auth', null)
    await startSession(c, await getUser(db, auth.user.id), 'area')
    return c.redirect('/account?feito=senha', 303)
  })

  return app
}

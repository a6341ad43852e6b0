import { Hono } from 'hono'
import { GoneError, NotFoundError } from '../../core/errors.js'
import { findPasswordReset, resetPasswordWithToken } from '../../core/identity/password-resets.js'
import { render, type PortalContext, type PortalEnv } from '../env.js'
import { field } from '../forms.js'
import { m } from '../messages.js'
import { messagePage } from '../pages.js'
import { formRefusal } from '../refusals.js'
import { ResetPage } from '../views/account.js'
import { fieldErrors } from '../views/fields.js'
import { confirmPassword } from '../../core/identity/passwords.js'

function gonePage(c: PortalContext, status: number): Response {
  const link = { href: '/login', text: m.login.title }
  return messagePage(c, { title: m.reset.goneTitle, message: m.reset.gone, kind: 'error', link, contact: c.var.firm }, status)
}

/** GET and POST /reset/:token: the one-time password reset of docs/rules.md#registration-and-activation. */
export function resetRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/:token', async (c) => {
    const reset = await findPasswordReset(c.var.deps.db, c.req.param('token'))
    if (!reset) return gonePage(c, 404)
    return render(c, ResetPage({ firmName: c.var.firm.firmName, username: reset.username, action: c.req.path }))
  })

  app.post('/:token', async (c) => {
    const token = c.req.param('token')
    const form = await c.req.parseBody()
    try {
      confirmPassword(field(form, 'password'), field(form, 'password_confirm'))
      await resetPasswordWithToken(c.var.deps.db, token, field(form, 'password'), c.var.deps.hasher)
    } catch (error) {
      if (error instanceof NotFoundError) return gonePage(c, 404)
      if (error instanceof GoneError) return gonePage(c, 410)
      const refusal = formRefusal(c, error)
      const reset = await findPasswordReset(c.var.deps.db, token)
      if (!reset) return gonePage(c, 410)
      return render(
        c,
        ResetPage({ firmName: c.var.firm.firmName, username: reset.username, action: c.req.path, errors: fieldErrors('reset', refusal) }),
        refusal.status,
      )
    }
    return c.redirect('/login?aviso=senha', 303)
  })

  return app
}

import { Hono } from 'hono'
import { render, viewerOf, type PortalEnv } from '../env.js'
import { readLoginForm } from '../forms.js'
import { m } from '../messages.js'
import { pendingUserPage } from '../pages.js'
import { attemptLogin, endSession, loginFailureStatus } from '../session.js'
import { continueLogin } from '../second-step.js'
import { LoginPage } from '../views/auth.js'

const NOTICES: Record<string, string> = {
  saiu: m.login.loggedOut,
  senha: m.login.passwordReset,
  sessao: m.login.sessionEnded,
  ativada: m.login.activated,
}

/** GET/POST /login and POST /logout. */
export function authRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/login', (c) => {
    if (c.var.auth?.session.scope === 'area') return c.redirect('/', 303)
    const notice = NOTICES[c.req.query('aviso') ?? '']
    return render(c, LoginPage({ firmName: c.var.firm.firmName, viewer: viewerOf(c.var.auth), notice }))
  })

  app.post('/login', async (c) => {
    const { username, password } = await readLoginForm(c)
    const outcome = await attemptLogin(c, username, password)
    // A second factor, or its set-up, may still be owed (docs/rules.md#two-factor-login).
    if (outcome.outcome === 'ok') return continueLogin(c, outcome.user, 'area', '/')
    if (outcome.outcome === 'pending') return pendingUserPage(c, outcome.user)
    const status = loginFailureStatus(c, outcome)
    return render(
      c,
      LoginPage({ firmName: c.var.firm.firmName, viewer: null, error: m.login.failed, username }),
      status,
    )
  })

  app.post('/logout', async (c) => {
    await endSession(c)
    return c.redirect('/login?aviso=saiu', 303)
  })

  return app
}

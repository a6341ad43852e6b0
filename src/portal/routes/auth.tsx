import { Hono } from 'hono'
import { render, viewerOf, type PortalContext, type PortalEnv } from '../env.js'
import { readLoginForm } from '../forms.js'
import { m } from '../messages.js'
import { DEFAULT_PATH, formNextPath, nextPathFromForm, safeNextPath } from '../next-path.js'
import { disabledUserPage, pendingUserPage } from '../pages.js'
import {
  attemptLogin,
  endSession,
  loginRefusal,
  SESSION_END_TEXTS,
  sessionEndNotice,
  startSession,
  type LoginOutcome,
} from '../session.js'
import { continueLogin } from '../second-step.js'
import { LoginPage } from '../views/auth.js'
import { fieldErrors } from '../views/fields.js'

const NOTICES: Record<string, string> = {
  saiu: m.login.loggedOut,
  senha: m.login.passwordReset,
  ativada: m.login.activated,
  ...SESSION_END_TEXTS,
}

/** The login page's notice: the `aviso` asked for, or why this request's session ended. */
function loginNotice(c: PortalContext): string | undefined {
  return NOTICES[c.req.query('aviso') ?? ''] ?? NOTICES[sessionEndNotice(c) ?? '']
}

/** A failed password login: the form again with the refusal (wrong, or wait), or the disabled-account page. */
async function loginFailedPage(c: PortalContext, outcome: LoginOutcome, username: string): Promise<Response> {
  if (outcome.outcome === 'disabled') return disabledUserPage(c, outcome.user)
  const refusal = loginRefusal(c, outcome)
  const next = (await formNextPath(c)) ?? undefined
  const errors = fieldErrors('login', refusal)
  return render(c, LoginPage({ firmName: c.var.firm.firmName, viewer: null, errors, username, next }), refusal.status)
}

/** GET/POST /login and POST /logout. */
export function authRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/login', (c) => {
    const next = safeNextPath(c.req.query('next')) ?? undefined
    if (c.var.auth?.session.scope === 'area') return c.redirect(next ?? DEFAULT_PATH, 303)
    return render(c, LoginPage({ firmName: c.var.firm.firmName, viewer: viewerOf(c.var.auth), notice: loginNotice(c), next }))
  })

  app.post('/login', async (c) => {
    const { username, password } = await readLoginForm(c)
    const outcome = await attemptLogin(c, username, password)
    // A second factor, or its set-up, may still be owed (docs/rules.md#two-factor-login).
    if (outcome.outcome === 'ok') return continueLogin(c, outcome.user, 'area', await nextPathFromForm(c))
    if (outcome.outcome === 'pending') return pendingUserPage(c, outcome.user)
    return loginFailedPage(c, outcome, username)
  })

  app.post('/logout', async (c) => {
    await endSession(c)
    // "Sair para criar outra conta" on a login link returns to that link (its `next`).
    return c.redirect((await formNextPath(c)) ?? '/login?aviso=saiu', 303)
  })

  return app
}

import { Hono } from 'hono'
import { field, render, viewerOf, type PortalContext, type PortalEnv } from '../env.js'
import { FormError, m } from '../messages.js'
import { attemptLogin, endSession, startSession, type LoginOutcome } from '../session.js'
import { LoginPage, MessagePage } from '../views/auth.js'

const NOTICES: Record<string, string> = {
  saiu: m.login.loggedOut,
  senha: m.login.passwordReset,
  sessao: m.login.sessionEnded,
  ativada: m.login.activated,
}

// Generous caps: anything longer is not a username or password anyone typed.
const MAX_USERNAME_CHARS = 256
const MAX_PASSWORD_CHARS = 1024

/** Reads username and password from a login form; refuses missing or absurd values (400). */
export async function readLoginForm(c: PortalContext): Promise<{ username: string; password: string }> {
  const form = await c.req.parseBody()
  const username = field(form, 'username').trim()
  const password = field(form, 'password')
  if (!username || !password) throw new FormError(m.errors.required(`${m.fields.username} e ${m.fields.password}`))
  if (username.length > MAX_USERNAME_CHARS || password.length > MAX_PASSWORD_CHARS) {
    throw new FormError(m.errors.badRequest)
  }
  return { username, password }
}

/** Status and headers of a failed login: 401, or 429 with Retry-After; the page is the same. */
export function failureStatus(c: PortalContext, outcome: LoginOutcome): number {
  if (outcome.outcome !== 'throttled') return 401
  c.header('Retry-After', String(outcome.retryAfterSeconds))
  return 429
}

/** The page a pending user gets after the correct password: wait for an admin, no session. */
export function pendingPage(c: PortalContext): Response {
  return render(
    c,
    MessagePage({
      firmName: c.var.firm.firmName,
      viewer: null,
      title: m.login.pendingTitle,
      message: m.login.pending,
      kind: 'info',
      link: null,
    }),
    403,
  )
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
    if (outcome.outcome === 'ok') {
      await startSession(c, outcome.user, 'area')
      return c.redirect('/', 303)
    }
    if (outcome.outcome === 'pending') return pendingPage(c)
    const status = failureStatus(c, outcome)
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

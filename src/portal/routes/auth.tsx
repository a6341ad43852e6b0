import { Hono } from 'hono'
import { field, render, viewerOf, type PortalContext, type PortalEnv } from '../env.js'
import { FormError, m } from '../messages.js'
import { attemptLogin, endSession, startSession, type LoginOutcome } from '../session.js'
import { activeAdminNames } from '../../core/documents/arrivals.js'
import type { ClientUser } from '../../core/identity/users.js'
import { LoginPage } from '../views/auth.js'
import { PendingPage } from '../views/pending.js'

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

/**
 * The page a pending user gets after the correct password, or on a document it may not open yet:
 * wait for an admin (named, with the firm's contact), no session.
 */
export async function pendingPage(
  c: PortalContext,
  user: ClientUser,
  text: { title: string; message: string } = { title: m.login.pendingTitle, message: m.login.pending },
): Promise<Response> {
  const admins = await activeAdminNames(c.var.deps.db, user.clientId)
  return render(c, PendingPage({ firm: c.var.firm, viewer: viewerOf(c.var.auth), admins, ...text }), 403)
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
    if (outcome.outcome === 'pending') return pendingPage(c, outcome.user)
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

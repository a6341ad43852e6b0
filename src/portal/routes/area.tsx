import { Hono } from 'hono'
import { ConflictError, NotFoundError, ThrottledError, ValidationError } from '../../core/errors.js'
import { findClientByLoginToken, type Client } from '../../core/clients/clients.js'
import { registerUser } from '../../core/identity/registration.js'
import { field, render, viewerOf, type PortalContext, type PortalEnv } from '../env.js'
import { m, translateError, waitText } from '../messages.js'
import { startSession } from '../session.js'
import { LoginAndRegisterPage, MessagePage, type FormValues } from '../views/auth.js'

async function clientOfLink(c: PortalContext): Promise<Client> {
  const client = await findClientByLoginToken(c.var.deps.db, c.req.param('token') ?? '')
  // Unknown and rotated links look the same: a 404 that says nothing about any client.
  if (!client) throw new NotFoundError('unknown login link')
  return client
}

function areaPage(
  c: PortalContext,
  client: Client,
  extra: { registerError?: string; values?: FormValues } = {},
  status = 200,
): Response {
  const token = c.req.param('token') ?? ''
  return render(
    c,
    LoginAndRegisterPage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(c.var.auth),
      title: m.area.title(client.name),
      intro: m.area.intro,
      loginAction: '/login',
      registerAction: `/area/${token}/register`,
      ...extra,
    }),
    status,
  )
}

/** Reads the create-account form fields (name, username, email, password). */
export async function readRegisterForm(c: PortalContext): Promise<FormValues & { password: string }> {
  const form = await c.req.parseBody()
  return {
    name: field(form, 'name'),
    username: field(form, 'username'),
    email: field(form, 'email'),
    password: field(form, 'password'),
  }
}

/**
 * The pt-BR text and status of a refused registration (core counts every attempt under the
 * registration throttle: 429 with Retry-After); rethrows anything that is not a refusal.
 */
export function registrationRefusal(c: PortalContext, error: unknown): { text: string; status: number } {
  if (error instanceof ThrottledError) {
    c.header('Retry-After', String(error.retryAfterSeconds))
    return { text: waitText(error.retryAfterSeconds), status: 429 }
  }
  if (!(error instanceof ValidationError || error instanceof ConflictError)) throw error
  return { text: translateError(error), status: error instanceof ConflictError ? 409 : 400 }
}

/** GET /area/:token and POST /area/:token/register: the client's login link (docs/rules.md#registration-and-activation). */
export function areaRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/area/:token', async (c) => areaPage(c, await clientOfLink(c)))

  app.post('/area/:token/register', async (c) => {
    const client = await clientOfLink(c)
    const input = await readRegisterForm(c)
    const values = { name: input.name, username: input.username, email: input.email }
    let user
    try {
      user = await registerUser(
        c.var.deps.db,
        { clientId: client.id, username: input.username ?? '', name: input.name ?? '', email: input.email, password: input.password, origin: 'login_link', ip: c.var.address.ip },
        c.var.deps.hasher,
      )
    } catch (error) {
      const refusal = registrationRefusal(c, error)
      return areaPage(c, client, { registerError: refusal.text, values }, refusal.status)
    }
    if (user.status === 'active') {
      await startSession(c, user, 'area')
      return c.redirect('/?aviso=admin', 303)
    }
    return render(
      c,
      MessagePage({
        firmName: c.var.firm.firmName,
        viewer: null,
        title: m.area.createdPendingTitle,
        message: m.area.createdPending,
        kind: 'ok',
        link: null,
      }),
      201,
    )
  })

  return app
}

import { Hono } from 'hono'
import { NotFoundError } from '../../core/errors.js'
import { findClientByLoginToken, type Client } from '../../core/clients/clients.js'
import { registerUser } from '../../core/identity/registration.js'
import { render, viewerOf, type PortalContext, type PortalEnv } from '../env.js'
import { readRegisterForm } from '../forms.js'
import { m } from '../messages.js'
import { messagePage } from '../pages.js'
import { formRefusal } from '../refusals.js'
import { continueLogin } from '../second-step.js'
import { LoginAndRegisterPage, type FormValues } from '../views/auth.js'

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

/** GET /area/:token and POST /area/:token/register: the client's login link (docs/rules.md#registration-and-activation). */
export function areaRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/:token', async (c) => areaPage(c, await clientOfLink(c)))

  app.post('/:token/register', async (c) => {
    const client = await clientOfLink(c)
    const { password, ...values } = await readRegisterForm(c)
    let user
    try {
      user = await registerUser(
        c.var.deps.db,
        { clientId: client.id, ...values, password, origin: 'login_link', ip: c.var.address.ip },
        c.var.deps.hasher,
      )
    } catch (error) {
      const refusal = formRefusal(c, error)
      return areaPage(c, client, { registerError: refusal.message, values }, refusal.status)
    }
    // Under the firm's two-factor policy, set-up comes before the area (docs/rules.md#two-factor-login).
    if (user.status === 'active') return continueLogin(c, user, 'area', '/?aviso=admin')
    return messagePage(
      c,
      { viewer: null, title: m.area.createdPendingTitle, message: m.area.createdPending, kind: 'ok', link: null },
      201,
    )
  })

  return app
}

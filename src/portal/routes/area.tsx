import { Hono } from 'hono'
import { NotFoundError } from '../../core/errors.js'
import { findClientByLoginToken, type Client } from '../../core/clients/clients.js'
import { hasUsers, registerUser } from '../../core/identity/registration.js'
import { currentTerms } from '../../core/identity/terms.js'
import { senderOrigin } from '../guards.js'
import { render, viewerOf, type PortalContext, type PortalEnv } from '../env.js'
import { readRegisterForm } from '../forms.js'
import { m } from '../messages.js'
import { pendingUserPage } from '../pages.js'
import { formRefusal } from '../refusals.js'
import { continueLogin } from '../second-step.js'
import { sessionEndedText } from '../session.js'
import { AlreadyLoggedInPage, LoginAndRegisterPage, type FormValues } from '../views/auth.js'
import { fieldErrors, type FieldError } from '../views/fields.js'
import { confirmPassword } from '../../core/identity/passwords.js'

async function clientOfLink(c: PortalContext): Promise<Client> {
  const client = await findClientByLoginToken(c.var.deps.db, c.req.param('token') ?? '')
  // Unknown and rotated links look the same: a 404 that says nothing about any client.
  if (!client) throw new NotFoundError('unknown login link')
  return client
}

async function areaPage(
  c: PortalContext,
  client: Client,
  extra: { errors?: FieldError[]; values?: FormValues } = {},
  status = 200,
): Promise<Response> {
  const token = c.req.param('token') ?? ''
  const termsId = (await currentTerms(c.var.deps.db))?.id ?? null
  // No user yet: the only useful form is "Criar conta", and it makes the administrator.
  const registerFirst = !(await hasUsers(c.var.deps.db, client.id))
  return render(
    c,
    LoginAndRegisterPage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(c.var.auth),
      title: m.area.title(client.name),
      intro: registerFirst ? m.area.introFirst : m.area.intro,
      loginAction: '/login',
      registerAction: `/area/${token}/register`,
      notice: sessionEndedText(c),
      termsId,
      registerFirst,
      ...extra,
    }),
    status,
  )
}

/** GET /area/:token and POST /area/:token/register: the client's login link (docs/rules.md#registration-and-activation). */
export function areaRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/:token', async (c) => {
    const client = await clientOfLink(c)
    const auth = c.var.auth
    if (!auth) return areaPage(c, client)
    // Someone already logged in: the client area, or log out to create another account here.
    const page = AlreadyLoggedInPage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(auth),
      title: m.area.title(client.name),
      area: auth.session.scope === 'area',
      here: `/area/${c.req.param('token')}`,
    })
    return render(c, page)
  })

  // Where a pending registration lands (POST → 303 → GET): a refresh resubmits nothing.
  app.get('/:token/aguardando', async (c) => {
    const client = await clientOfLink(c)
    const text = { title: m.area.createdPendingTitle, message: m.area.createdPending }
    return pendingUserPage(c, { clientId: client.id }, text, 200)
  })

  app.post('/:token/register', async (c) => {
    const client = await clientOfLink(c)
    const { values, password, passwordConfirm, termsId } = await readRegisterForm(c)
    let user
    try {
      confirmPassword(password, passwordConfirm)
      user = await registerUser(
        c.var.deps.db,
        { clientId: client.id, ...values, password, origin: 'login_link', ...senderOrigin(c), termsId },
        c.var.deps.hasher,
      )
    } catch (error) {
      const refusal = formRefusal(c, error)
      return areaPage(c, client, { errors: fieldErrors('register', refusal), values }, refusal.status)
    }
    // Under the firm's two-factor policy, set-up comes before the area (docs/rules.md#two-factor-login).
    if (user.status === 'active') return continueLogin(c, user, 'area', '/?aviso=admin')
    return c.redirect(`/area/${c.req.param('token')}/aguardando`, 303)
  })

  return app
}

import { Hono } from 'hono'
import type { Actor } from '../../core/actors.js'
import { CATEGORIES, type Category } from '../../core/categories.js'
import { clientNames } from '../../core/clients/clients.js'
import { NotFoundError } from '../../core/errors.js'
import {
  activateUser,
  disableUser,
  enableUser,
  getUser,
  listUsers,
  parseRole,
  setUserRole,
  type ClientUser,
} from '../../core/identity/users.js'
import { addUser } from '../../core/identity/registration.js'
import { arrivalsOf } from '../../core/documents/arrivals.js'
import { areaClientIds, getVisibility, setVisibility } from '../../core/identity/visibility.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { field, fieldList } from '../forms.js'
import { requireAdmin } from '../guards.js'
import { parseId } from '../ids.js'
import { m } from '../messages.js'
import { formRefusal } from '../refusals.js'
import type { FormValues } from '../views/auth.js'
import { DisableUserPage, NEW_USER_PREFIX, UserPage, UsersPage } from '../views/users.js'
import { fieldErrors, type FieldError } from '../views/fields.js'
import { confirmPassword } from '../../core/identity/passwords.js'
import { twoFactorUserIds } from '../../core/identity/two-factor.js'

function actorOf(auth: Auth): Actor {
  return { kind: 'client_user', userId: auth.user.id }
}

/** A user of the admin's own client; any other id answers 404 like an unknown one. */
async function ownUser(c: PortalContext, auth: Auth): Promise<ClientUser> {
  const id = parseId(c.req.param('id'))
  const user = await getUser(c.var.deps.db, id).catch(() => null)
  if (!user || user.clientId !== auth.user.clientId) throw new NotFoundError('not found')
  return user
}

async function usersPage(
  c: PortalContext,
  auth: Auth,
  extra: { errors?: FieldError[]; values?: FormValues } = {},
  status = 200,
): Promise<Response> {
  const users = await listUsers(c.var.deps.db, { clientId: auth.user.clientId })
  // Pending first: they are what an admin comes here to handle.
  const order = { pending: 0, active: 1, disabled: 2 }
  users.sort((a, b) => order[a.status] - order[b.status] || a.id - b.id)
  return render(
    c,
    UsersPage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(auth)!,
      selfId: auth.user.id,
      users,
      arrivals: await arrivalsOf(c.var.deps.db, users.map((u) => u.id)),
      twoFactor: await twoFactorUserIds(c.var.deps.db, users.map((u) => u.id)),
      notice: m.users.done[c.req.query('feito') ?? ''],
      ...extra,
    }),
    status,
  )
}

async function userPage(c: PortalContext, auth: Auth, user: ClientUser, errors?: FieldError[], status = 200): Promise<Response> {
  const { db } = c.var.deps
  const ids = await areaClientIds(db, auth.user.clientId)
  const companies = await clientNames(db, ids)
  return render(
    c,
    UserPage({
      firmName: c.var.firm.firmName,
      viewer: viewerOf(auth)!,
      user,
      self: user.id === auth.user.id,
      categories: CATEGORIES,
      companies,
      visibility: await getVisibility(db, user.id),
      errors,
    }),
    status,
  )
}

type UserAction = (c: PortalContext, auth: Auth, user: ClientUser) => Promise<unknown>

/** A POST on one user: run it, then back to the list with a notice, or the list with the refusal. */
function userAction(done: string, action: UserAction) {
  return async (c: PortalContext) => {
    const auth = await requireAdmin(c)
    if (auth instanceof Response) return auth
    const user = await ownUser(c, auth)
    try {
      await action(c, auth, user)
    } catch (error) {
      const refusal = formRefusal(c, error)
      return usersPage(c, auth, { errors: [{ fieldId: null, message: refusal.message }] }, refusal.status)
    }
    // An admin who gave up their own admin role can no longer see this page.
    if (user.id === auth.user.id) return c.redirect('/', 303)
    return c.redirect(`/users?feito=${done}`, 303)
  }
}

/** GET /users and the admin actions of docs/rules.md#registration-and-activation: create, activate, disable, enable, role, visibility. */
export function userRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/', async (c) => {
    const auth = await requireAdmin(c)
    if (auth instanceof Response) return auth
    return usersPage(c, auth)
  })

  app.post('/', async (c) => {
    const auth = await requireAdmin(c)
    if (auth instanceof Response) return auth
    const form = await c.req.parseBody()
    const values = { name: field(form, 'name'), username: field(form, 'username'), email: field(form, 'email') }
    try {
      confirmPassword(field(form, 'password'), field(form, 'password_confirm'))
      const role = parseRole(field(form, 'role') || 'collaborator')
      await addUser(
        c.var.deps.db,
        actorOf(auth),
        { clientId: auth.user.clientId, ...values, password: field(form, 'password'), role, active: true, ip: c.var.address.ip },
        c.var.deps.hasher,
      )
    } catch (error) {
      const refusal = formRefusal(c, error)
      return usersPage(c, auth, { errors: fieldErrors(NEW_USER_PREFIX, refusal), values }, refusal.status)
    }
    return c.redirect('/users?feito=created', 303)
  })

  app.get('/:id', async (c) => {
    const auth = await requireAdmin(c)
    if (auth instanceof Response) return auth
    return userPage(c, auth, await ownUser(c, auth))
  })

  app.get('/:id/disable', async (c) => {
    const auth = await requireAdmin(c)
    if (auth instanceof Response) return auth
    const user = await ownUser(c, auth)
    return render(c, DisableUserPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth)!, user }))
  })

  app.post('/:id/activate', userAction('activated', (c, auth, user) => activateUser(c.var.deps.db, actorOf(auth), user.id)))
  app.post('/:id/disable', userAction('disabled', (c, auth, user) => disableUser(c.var.deps.db, actorOf(auth), user.id)))
  app.post('/:id/enable', userAction('enabled', (c, auth, user) => enableUser(c.var.deps.db, actorOf(auth), user.id)))
  app.post(
    '/:id/role',
    userAction('role', async (c, auth, user) => {
      const form = await c.req.parseBody()
      return setUserRole(c.var.deps.db, actorOf(auth), user.id, parseRole(field(form, 'role')))
    }),
  )

  app.post('/:id/visibility', async (c) => {
    const auth = await requireAdmin(c)
    if (auth instanceof Response) return auth
    const user = await ownUser(c, auth)
    const { db } = c.var.deps
    const form = await c.req.parseBody({ all: true })
    // Checked boxes are what the collaborator sees; everything else is hidden.
    const shownCategories = fieldList(form, 'category')
    const shownCompanies = fieldList(form, 'company').map(Number)
    const companies = await areaClientIds(db, auth.user.clientId)
    try {
      await setVisibility(db, actorOf(auth), user.id, {
        hiddenCategories: CATEGORIES.filter((cat) => !shownCategories.includes(cat)) as Category[],
        hiddenCompanyIds: companies.length > 1 ? companies.filter((id) => !shownCompanies.includes(id)) : [],
      })
    } catch (error) {
      const refusal = formRefusal(c, error)
      return userPage(c, auth, user, [{ fieldId: null, message: refusal.message }], refusal.status)
    }
    return c.redirect('/users?feito=visibility', 303)
  })

  return app
}

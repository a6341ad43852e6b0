import type { Category } from '../../core/categories.js'
import type { Arrival } from '../../core/documents/arrivals.js'
import type { ClientUser } from '../../core/identity/users.js'
import type { Visibility } from '../../core/identity/visibility.js'
import { m } from '../messages.js'
import type { FormValues } from './auth.js'
import { Field, NewPasswordFields, type FieldError } from './fields.js'
import { Layout, Notice, type Viewer } from './layout.js'

/** The id prefix of the admins' new-user form's fields (its errors point at them). */
export const NEW_USER_PREFIX = 'new'

function ActionButton(props: { action: string; label: string; name?: string; value?: string; secondary?: boolean }) {
  return (
    <form method="post" action={props.action} class="inline">
      {props.name ? <input type="hidden" name={props.name} value={props.value ?? ''} /> : null}
      <button type="submit" class={props.secondary ? 'secondary' : ''}>
        {props.label}
      </button>
    </form>
  )
}

// The actions an admin may take on a user; none on an admin's own row (it cannot disable or demote
// itself). A pending user is activated or left waiting, never disabled. Disabling asks first, on a
// page of its own (no script): it ends the person's sessions at once.
function userActions(u: ClientUser, self: boolean) {
  const base = `/users/${u.id}`
  const actions = [
    u.status === 'pending' ? <ActionButton action={`${base}/activate`} label={m.users.activate} /> : null,
    u.status === 'disabled' ? <ActionButton action={`${base}/enable`} label={m.users.enable} /> : null,
    u.status === 'active' && !self ? (
      <a class="button secondary" href={`${base}/disable`}>
        {m.users.disable}
      </a>
    ) : null,
    u.status === 'active' && u.role === 'collaborator' ? (
      <ActionButton action={`${base}/role`} label={m.users.makeAdmin} name="role" value="admin" secondary />
    ) : null,
    u.status === 'active' && u.role === 'admin' && !self ? (
      <ActionButton action={`${base}/role`} label={m.users.makeCollaborator} name="role" value="collaborator" secondary />
    ) : null,
    u.role === 'collaborator' ? <a href={`${base}`}>{m.users.visibility}</a> : null,
  ]
  return actions.filter((action) => action !== null)
}

/** The actions cell; without actions it has no label, so a phone shows no empty "Ações:". */
function ActionsCell(props: { actions: unknown[] }) {
  if (props.actions.length === 0) return <td></td>
  return <td data-label={m.users.columns.actions}>{props.actions}</td>
}

/** How a user came in and when it first opened something (docs/rules.md#document-links-and-login). */
function ArrivalText(props: { user: ClientUser; arrival: Arrival | undefined }) {
  const arrival = props.arrival
  return (
    <>
      {m.users.cameIn(props.user.origin, arrival?.document ?? null)}
      <br />
      <span class="muted">
        {arrival?.firstOpenedAt ? m.users.firstOpened(m.dateTime(arrival.firstOpenedAt)) : m.users.neverOpened}
      </span>
    </>
  )
}

/** GET /users: the client's users, pending first, with one POST form per action. */
export function UsersPage(props: {
  firmName: string
  viewer: Viewer
  selfId: number
  users: ClientUser[]
  arrivals: Map<number, Arrival>
  /** Users with two-factor login on. */
  twoFactor: Set<number>
  notice?: string
  errors?: FieldError[]
  values?: FormValues
}) {
  const pending = props.users.filter((u) => u.status === 'pending')
  return (
    <Layout title={m.users.title} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <h1>{m.users.title}</h1>
      <p>{m.users.intro}</p>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      {pending.length > 0 ? (
        <section class="card" aria-labelledby="h-pending">
          <h2 id="h-pending">{m.users.pendingHeading}</h2>
          <ul>
            {pending.map((u) => (
              <li>
                {u.name} ({u.username}), {m.users.cameIn(u.origin, props.arrivals.get(u.id)?.document ?? null)}{' '}
                <ActionButton action={`/users/${u.id}/activate`} label={m.users.activate} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {props.users.length === 0 ? (
        <p class="card">{m.users.empty}</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{m.users.columns.name}</th>
              <th scope="col">{m.users.columns.username}</th>
              <th scope="col">{m.users.columns.role}</th>
              <th scope="col">{m.users.columns.status}</th>
              <th scope="col">{m.users.columns.arrival}</th>
              <th scope="col">{m.users.columns.actions}</th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((u) => (
              <tr>
                <td>
                  {u.name} {u.id === props.selfId ? <span class="muted">{m.users.you}</span> : null}
                </td>
                <td data-label={m.users.columns.username}>{u.username}</td>
                <td data-label={m.users.columns.role}>{m.roles[u.role]}</td>
                <td data-label={m.users.columns.status}>
                  {m.statuses[u.status]}
                  <br />
                  {m.users.twoFactor(props.twoFactor.has(u.id))}
                </td>
                <td data-label={m.users.columns.arrival}>
                  <ArrivalText user={u} arrival={props.arrivals.get(u.id)} />
                </td>
                <ActionsCell actions={userActions(u, u.id === props.selfId)} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section class="card" aria-labelledby="h-new">
        <h2 id="h-new">{m.users.newHeading}</h2>
        <p class="muted">{m.users.newNote}</p>
        <NewUserForm values={props.values} errors={props.errors} />
      </section>
    </Layout>
  )
}

function NewUserForm(props: { values?: FormValues; errors?: FieldError[] }) {
  const v = props.values ?? {}
  const common = { prefix: NEW_USER_PREFIX, errors: props.errors }
  return (
    <form method="post" action="/users">
      <Field {...common} name="name" label={m.fields.name} value={v.name ?? ''} required maxlength={200} />
      <Field {...common} name="username" label={m.fields.username} hint={m.fields.newUsernameHint} value={v.username ?? ''} required maxlength={64} autocomplete="off" verbatim />
      <Field {...common} name="email" label={m.fields.email} type="email" value={v.email ?? ''} maxlength={254} />
      <NewPasswordFields {...common} hint={m.fields.newPasswordHint} />
      <label for="new-role">{m.fields.role}</label>
      <select id="new-role" name="role">
        <option value="collaborator">{m.roles.collaborator}</option>
        <option value="admin">{m.roles.admin}</option>
      </select>
      <button type="submit">{m.users.newSubmit}</button>
    </form>
  )
}

/** GET /users/:id/disable: "Desativar o acesso de Bia?", confirmed by a POST, or cancelled. */
export function DisableUserPage(props: { firmName: string; viewer: Viewer; user: ClientUser }) {
  const u = props.user
  const title = m.users.disableTitle(u.name)
  return (
    <Layout title={title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{title}</h1>
      <p>{m.users.disableText(u.name, u.username)}</p>
      <form method="post" action={`/users/${u.id}/disable`}>
        <button type="submit">{m.users.disableConfirm}</button>{' '}
        <a class="button secondary" href="/users">
          {m.users.cancel}
        </a>
      </form>
    </Layout>
  )
}

/** GET /users/:id: one user and, for a collaborator, what it may see. */
export function UserPage(props: {
  firmName: string
  viewer: Viewer
  user: ClientUser
  self: boolean
  categories: readonly Category[]
  companies: { id: number; name: string }[]
  visibility: Visibility
  errors?: FieldError[]
}) {
  const u = props.user
  return (
    <Layout title={u.name} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <p>
        <a href="/users">← {m.users.title}</a>
      </p>
      <h1>{u.name}</h1>
      <div class="card">
        <dl>
          <dt>{m.fields.username}</dt>
          <dd>{u.username}</dd>
          <dt>{m.fields.role}</dt>
          <dd>{m.roles[u.role]}</dd>
          <dt>{m.users.columns.status}</dt>
          <dd>{m.statuses[u.status]}</dd>
        </dl>
        {userActions(u, props.self)}
      </div>
      <section class="card" aria-labelledby="h-vis">
        <h2 id="h-vis">{m.users.visibilityHeading(u.name)}</h2>
        {u.role === 'admin' ? (
          <p>{m.users.visibilityAdmin}</p>
        ) : (
          <form method="post" action={`/users/${u.id}/visibility`}>
            <p class="muted">{m.users.visibilityIntro}</p>
            <fieldset>
              <legend>{m.users.visibilityCategories}</legend>
              {props.categories.map((cat) => (
                <label class="check" for={`cat-${cat}`}>
                  <input
                    type="checkbox"
                    id={`cat-${cat}`}
                    name="category"
                    value={cat}
                    checked={!props.visibility.hiddenCategories.includes(cat)}
                  />
                  {m.categories[cat]}
                </label>
              ))}
            </fieldset>
            {props.companies.length > 1 ? (
              <fieldset>
                <legend>{m.users.visibilityCompanies}</legend>
                {props.companies.map((co) => (
                  <label class="check" for={`co-${co.id}`}>
                    <input
                      type="checkbox"
                      id={`co-${co.id}`}
                      name="company"
                      value={String(co.id)}
                      checked={!props.visibility.hiddenCompanyIds.includes(co.id)}
                    />
                    {co.name}
                  </label>
                ))}
              </fieldset>
            ) : null}
            <button type="submit">{m.users.visibilitySave}</button>
          </form>
        )}
      </section>
    </Layout>
  )
}

import type { ClientUser } from '../../core/identity/users.js'
import { m } from '../messages.js'
import type { Child } from 'hono/jsx'
import { Field, NewPasswordFields, type FieldError } from './fields.js'
import { Layout, Notice, type Viewer } from './layout.js'

/** GET /account: the user's details and the change-password form. */
export function AccountPage(props: { firmName: string; viewer: Viewer; user: ClientUser; notice?: string; errors?: FieldError[]; children?: Child }) {
  const u = props.user
  return (
    <Layout title={m.account.title} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <h1>{m.account.title}</h1>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      <section class="card" aria-labelledby="h-details">
        <h2 id="h-details">{m.account.details}</h2>
        <dl>
          <dt>{m.fields.name}</dt>
          <dd>{u.name}</dd>
          <dt>{m.fields.username}</dt>
          <dd>{u.username}</dd>
          <dt>E-mail</dt>
          <dd>{u.email ?? '—'}</dd>
          <dt>{m.fields.role}</dt>
          <dd>{m.roles[u.role]}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="h-password">
        <h2 id="h-password">{m.account.changePassword}</h2>
        <form method="post" action="/account/password">
          <input type="hidden" name="username" value={u.username} autocomplete="username" />
          <Field
            prefix="account"
            name="current_password"
            label={m.fields.currentPassword}
            errors={props.errors}
            type="password"
            autocomplete="current-password"
            required
            maxlength={200}
          />
          <NewPasswordFields prefix="account" errors={props.errors} label={m.fields.newPassword} />
          <button type="submit">{m.account.submit}</button>
        </form>
      </section>
      {props.children}
      <section class="card" aria-labelledby="h-my-data">
        <h2 id="h-my-data">{m.account.myData}</h2>
        <p>{m.account.myDataIntro}</p>
        <form method="post" action="/account/meus-dados">
          <button type="submit">{m.account.myDataSubmit}</button>
        </form>
      </section>
    </Layout>
  )
}

/** GET /reset/:token: choose a new password. */
export function ResetPage(props: { firmName: string; username: string; action: string; errors?: FieldError[] }) {
  return (
    <Layout title={m.reset.title} firmName={props.firmName} errors={props.errors}>
      <h1>{m.reset.title}</h1>
      <div class="card">
        <p>{m.reset.intro(props.username)}</p>
        <form method="post" action={props.action}>
          <input type="hidden" name="username" value={props.username} autocomplete="username" />
          <NewPasswordFields prefix="reset" errors={props.errors} label={m.fields.newPassword} />
          <button type="submit">{m.reset.submit}</button>
        </form>
      </div>
    </Layout>
  )
}

import type { ClientUser } from '../../core/identity/users.js'
import { m } from '../messages.js'
import type { Child } from 'hono/jsx'
import { Layout, Notice, type Viewer } from './layout.js'

/** A new-password field pair's single input, labelled with the bcrypt limits. */
function NewPassword(props: { id: string }) {
  return (
    <>
      <label for={props.id}>
        {m.fields.newPassword}
        <span class="hint">{m.fields.passwordHint}</span>
      </label>
      <input id={props.id} name="password" type="password" autocomplete="new-password" required minlength={8} maxlength={200} />
    </>
  )
}

/** GET /account: the user's details and the change-password form. */
export function AccountPage(props: { firmName: string; viewer: Viewer; user: ClientUser; notice?: string; error?: string; children?: Child }) {
  const u = props.user
  return (
    <Layout title={m.account.title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{m.account.title}</h1>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
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
          <label for="current-password">{m.fields.currentPassword}</label>
          <input id="current-password" name="current_password" type="password" autocomplete="current-password" required maxlength={200} />
          <NewPassword id="new-password" />
          <button type="submit">{m.account.submit}</button>
        </form>
      </section>
      {props.children}
    </Layout>
  )
}

/** GET /reset/:token: choose a new password. */
export function ResetPage(props: { firmName: string; username: string; action: string; error?: string }) {
  return (
    <Layout title={m.reset.title} firmName={props.firmName}>
      <h1>{m.reset.title}</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <div class="card">
        <p>{m.reset.intro(props.username)}</p>
        <form method="post" action={props.action}>
          <input type="hidden" name="username" value={props.username} autocomplete="username" />
          <NewPassword id="reset-password" />
          <button type="submit">{m.reset.submit}</button>
        </form>
      </div>
    </Layout>
  )
}

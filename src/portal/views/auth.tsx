import { m } from '../messages.js'
import { Layout, Notice, type Viewer } from './layout.js'

export interface FormValues {
  username?: string
  name?: string
  email?: string
}

/** The labelled username input both forms share (same name, limits and autocomplete). */
function UsernameField(props: { id: string; value?: string; hint?: string }) {
  return (
    <>
      <label for={props.id}>
        {m.fields.username}
        {props.hint && <span class="hint">{props.hint}</span>}
      </label>
      <input
        id={props.id}
        name="username"
        autocomplete="username"
        required
        maxlength={64}
        value={props.value ?? ''}
      />
    </>
  )
}

/** Username and password, posted to `action`. */
export function LoginForm(props: { action: string; username?: string; idPrefix?: string; next?: string }) {
  const p = props.idPrefix ?? 'login'
  return (
    <form method="post" action={props.action}>
      {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
      <UsernameField id={`${p}-username`} value={props.username} />
      <label for={`${p}-password`}>{m.fields.password}</label>
      <input
        id={`${p}-password`}
        name="password"
        type="password"
        autocomplete="current-password"
        required
        maxlength={200}
      />
      <button type="submit">{m.login.submit}</button>
    </form>
  )
}

/** The create-account form: name, username, e-mail, password. */
export function RegisterForm(props: {
  action: string
  values?: FormValues
  submit?: string
  idPrefix?: string
}) {
  const p = props.idPrefix ?? 'register'
  const v = props.values ?? {}
  return (
    <form method="post" action={props.action}>
      <label for={`${p}-name`}>{m.fields.name}</label>
      <input id={`${p}-name`} name="name" autocomplete="name" required maxlength={200} value={v.name ?? ''} />
      <UsernameField id={`${p}-username`} value={v.username} hint={m.fields.usernameHint} />
      <label for={`${p}-email`}>{m.fields.email}</label>
      <input id={`${p}-email`} name="email" type="email" autocomplete="email" maxlength={254} value={v.email ?? ''} />
      <label for={`${p}-password`}>
        {m.fields.password}
        <span class="hint">{m.fields.passwordHint}</span>
      </label>
      <input
        id={`${p}-password`}
        name="password"
        type="password"
        autocomplete="new-password"
        required
        minlength={8}
        maxlength={200}
      />
      <button type="submit">{props.submit ?? m.area.registerSubmit}</button>
    </form>
  )
}

interface PageBase {
  firmName: string
  viewer?: Viewer | null
}

/** GET /login. */
export function LoginPage(props: PageBase & { error?: string; notice?: string; username?: string; next?: string }) {
  return (
    <Layout title={m.login.title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{m.login.title}</h1>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <div class="card">
        <p>{m.login.intro}</p>
        <LoginForm action="/login" username={props.username} next={props.next} />
        <p class="muted">{m.login.forgot}</p>
      </div>
    </Layout>
  )
}

/** Login plus create-account, for the client's login link or a gated delivery. */
export function LoginAndRegisterPage(
  props: PageBase & {
    title: string
    intro: string
    loginAction: string
    registerAction: string
    loginError?: string
    registerError?: string
    username?: string
    values?: FormValues
  },
) {
  return (
    <Layout title={props.title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{props.title}</h1>
      <p>{props.intro}</p>
      <div class="cols">
        <section class="card" aria-labelledby="h-login">
          <h2 id="h-login">{m.area.loginHeading}</h2>
          {props.loginError ? <Notice kind="error">{props.loginError}</Notice> : null}
          <LoginForm action={props.loginAction} username={props.username} />
          <p class="muted">{m.login.forgot}</p>
        </section>
        <section class="card" aria-labelledby="h-register">
          <h2 id="h-register">{m.area.registerHeading}</h2>
          {props.registerError ? <Notice kind="error">{props.registerError}</Notice> : null}
          <RegisterForm action={props.registerAction} values={props.values} />
        </section>
      </div>
    </Layout>
  )
}

/** The client's login link to someone already logged in: the client area, or log out and come back here. */
export function AlreadyLoggedInPage(props: PageBase & { title: string; area: boolean; here: string }) {
  return (
    <Layout title={props.title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{props.title}</h1>
      <div class="card">
        <p>{m.area.alreadyIn(props.viewer?.name ?? '')}</p>
        {props.area ? (
          <p>
            <a class="button" href="/">
              {m.area.goToArea}
            </a>
          </p>
        ) : null}
        <form method="post" action="/logout">
          <input type="hidden" name="next" value={props.here} />
          <button type="submit" class="secondary">
            {m.area.logoutToRegister}
          </button>
        </form>
      </div>
    </Layout>
  )
}

/** A page with a heading, a message and a link home: notices, waits and errors. */
export function MessagePage(
  props: PageBase & { title: string; message: string; kind?: 'info' | 'ok' | 'error'; link?: { href: string; text: string } | null },
) {
  const link = props.link === undefined ? { href: '/', text: m.errors.home } : props.link
  return (
    <Layout title={props.title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{props.title}</h1>
      <Notice kind={props.kind ?? 'info'}>{props.message}</Notice>
      {link ? (
        <p>
          <a href={link.href}>{link.text}</a>
        </p>
      ) : null}
    </Layout>
  )
}

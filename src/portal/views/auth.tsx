import type { FirmOptions } from '../../core/clients/firm.js'
import { m } from '../messages.js'
import { FirmContact } from './firm-contact.js'
import { Field, NewPasswordFields, type FieldError } from './fields.js'
import { Layout, Notice, type Viewer } from './layout.js'
import { TermsConsent } from './terms.js'

export interface FormValues {
  username?: string
  name?: string
  email?: string
}

/** The labelled username input both forms share (same name, limits and autocomplete). */
function UsernameField(props: { prefix: string; value?: string; hint?: string; errors?: FieldError[] }) {
  return (
    <Field
      prefix={props.prefix}
      name="username"
      label={m.fields.username}
      hint={props.hint}
      errors={props.errors}
      value={props.value ?? ''}
      autocomplete="username"
      required
      maxlength={64}
      verbatim
    />
  )
}

/** Username and password, posted to `action`. */
export function LoginForm(props: { action: string; username?: string; idPrefix?: string; next?: string; errors?: FieldError[] }) {
  const p = props.idPrefix ?? 'login'
  return (
    <form method="post" action={props.action}>
      {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
      <UsernameField prefix={p} value={props.username} errors={props.errors} />
      <Field
        prefix={p}
        name="password"
        label={m.fields.password}
        errors={props.errors}
        type="password"
        autocomplete="current-password"
        required
        maxlength={200}
      />
      <button type="submit">{m.login.submit}</button>
    </form>
  )
}

/** The create-account form: name, username, e-mail, password twice. */
export function RegisterForm(props: {
  action: string
  values?: FormValues
  submit?: string
  idPrefix?: string
  errors?: FieldError[]
  /** The current terms version, when the firm published terms: the consent box is part of the form. */
  termsId?: number | null
}) {
  const p = props.idPrefix ?? 'register'
  const v = props.values ?? {}
  const errors = props.errors
  return (
    <form method="post" action={props.action}>
      <Field prefix={p} name="name" label={m.fields.name} errors={errors} value={v.name ?? ''} autocomplete="name" required maxlength={200} />
      <UsernameField prefix={p} value={v.username} hint={m.fields.usernameHint} errors={errors} />
      <Field prefix={p} name="email" label={m.fields.email} errors={errors} type="email" value={v.email ?? ''} autocomplete="email" maxlength={254} />
      <NewPasswordFields prefix={p} errors={errors} />
      {props.termsId ? <TermsConsent prefix={p} termsId={props.termsId} errors={errors} /> : null}
      <button type="submit">{props.submit ?? m.area.registerSubmit}</button>
    </form>
  )
}

interface PageBase {
  firmName: string
  viewer?: Viewer | null
}

/** GET /login. */
export function LoginPage(props: PageBase & { errors?: FieldError[]; notice?: string; username?: string; next?: string }) {
  return (
    <Layout title={m.login.title} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <h1>{m.login.title}</h1>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      <div class="card">
        <p>{m.login.intro}</p>
        <LoginForm action="/login" username={props.username} next={props.next} errors={props.errors} />
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
    notice?: string
    errors?: FieldError[]
    username?: string
    values?: FormValues
    termsId?: number | null
    /** The client has no user yet: "Criar conta", the only form of use, comes first. */
    registerFirst?: boolean
  },
) {
  const login = (
    <section class="card" aria-labelledby="h-login">
      <h2 id="h-login">{m.area.loginHeading}</h2>
      <LoginForm action={props.loginAction} username={props.username} errors={props.errors} />
      <p class="muted">{m.login.forgot}</p>
    </section>
  )
  const register = (
    <section class="card" aria-labelledby="h-register">
      <h2 id="h-register">{m.area.registerHeading}</h2>
      <RegisterForm action={props.registerAction} values={props.values} errors={props.errors} termsId={props.termsId} />
    </section>
  )
  return (
    <Layout title={props.title} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <h1>{props.title}</h1>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      <p>{props.intro}</p>
      <div class="cols">
        {props.registerFirst ? register : login}
        {props.registerFirst ? login : register}
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
  props: PageBase & {
    title: string
    message: string
    kind?: 'info' | 'ok' | 'error'
    link?: { href: string; text: string } | null
    /** The firm to reach, on pages that send the reader to it (an expired link). */
    contact?: FirmOptions
  },
) {
  const link = props.link === undefined ? { href: '/', text: m.errors.home } : props.link
  return (
    <Layout title={props.title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{props.title}</h1>
      <Notice kind={props.kind ?? 'info'}>{props.message}</Notice>
      {props.contact ? <FirmContact firm={props.contact} /> : null}
      {link ? (
        <p>
          <a href={link.href}>{link.text}</a>
        </p>
      ) : null}
    </Layout>
  )
}

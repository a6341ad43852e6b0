import { groupedSecret, type TwoFactorSetup, type TwoFactorState } from '../../core/identity/two-factor.js'
import { m } from '../messages.js'
import { VERBATIM } from './fields.js'
import { Layout, Notice, type Viewer } from './layout.js'

// Pages of two-factor login (docs/rules.md#two-factor-login): set-up with a server-rendered QR
// code (no JavaScript), the recovery codes shown once, the login's second step, and the card on
// /account.

interface PageBase {
  firmName: string
  viewer?: Viewer | null
  error?: string
}

/** The code input both the set-up and the second step use. */
function CodeField(props: { label: string; recovery?: boolean }) {
  return (
    <>
      <label for="two-factor-code">
        {props.label}
        {props.recovery ? <span class="hint">{m.twoFactor.recoveryHint}</span> : null}
      </label>
      <input
        id="two-factor-code"
        name="code"
        required
        autocomplete="one-time-code"
        // A recovery code has letters: no numeric keyboard on the second step.
        inputmode={props.recovery ? 'text' : 'numeric'}
        maxlength={props.recovery ? 64 : 8}
        autofocus
        {...VERBATIM}
      />
    </>
  )
}

/** Set-up: the steps, the QR code (inline SVG), the secret in text, and the confirming code. */
export function TwoFactorSetupPage(
  props: PageBase & { setup: TwoFactorSetup; qrSvg: string; action: string; required?: boolean; askPassword?: boolean },
) {
  return (
    <Layout title={m.twoFactor.setupTitle} firmName={props.firmName} viewer={props.viewer}>
      <h1>{m.twoFactor.setupTitle}</h1>
      {props.required ? <Notice>{m.twoFactor.setupRequired}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <div class="card">
        <ol>
          {m.twoFactor.steps.map((step) => (
            <li>{step}</li>
          ))}
        </ol>
        <figure role="img" aria-label={m.twoFactor.qrLabel} dangerouslySetInnerHTML={{ __html: props.qrSvg }} />
        {/* A phone cannot scan its own screen: this opens the authenticator app on the same device. */}
        <p>
          <a class="button secondary" href={props.setup.uri}>
            {m.twoFactor.openApp}
          </a>
        </p>
        <p>
          {m.twoFactor.secretLabel}: <code id="two-factor-secret">{groupedSecret(props.setup.secret)}</code>
        </p>
        <form method="post" action={props.action}>
          <CodeField label={m.twoFactor.codeLabel} />
          {/* After the code: the code changes every 30 seconds, the password does not. */}
          {props.askPassword ? (
            <>
              <label for="two-factor-password">{m.twoFactor.offPassword}</label>
              <input id="two-factor-password" name="password" type="password" required autocomplete="current-password" />
            </>
          ) : null}
          <button type="submit">{m.twoFactor.confirm}</button>
        </form>
      </div>
    </Layout>
  )
}

/** The recovery codes, shown this once, and the way on. */
export function RecoveryCodesPage(props: PageBase & { codes: string[]; next: string }) {
  return (
    <Layout title={m.twoFactor.codesTitle} firmName={props.firmName} viewer={props.viewer}>
      <h1>{m.twoFactor.codesTitle}</h1>
      <Notice kind="ok">{m.twoFactor.enabled}</Notice>
      <div class="card">
        <p>{m.twoFactor.codesIntro}</p>
        <ul id="recovery-codes">
          {props.codes.map((code) => (
            <li>
              <code>{code}</code>
            </li>
          ))}
        </ul>
        <p>
          <a href={props.next}>{m.twoFactor.continue}</a>
        </p>
      </div>
    </Layout>
  )
}

/** The login's second step: a code from the app or a recovery code. */
export function SecondStepPage(props: PageBase & { action: string }) {
  return (
    <Layout title={m.twoFactor.codeTitle} firmName={props.firmName} viewer={props.viewer}>
      <h1>{m.twoFactor.codeTitle}</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <div class="card">
        <p>{m.twoFactor.codeIntro}</p>
        <form method="post" action={props.action}>
          <CodeField label={m.twoFactor.codeOrRecovery} recovery />
          <button type="submit">{m.twoFactor.submit}</button>
        </form>
      </div>
    </Layout>
  )
}

/** The card on /account: turn on, or (unless the firm requires it) turn off. */
export function TwoFactorCard(props: { state: TwoFactorState; required: boolean }) {
  const { state } = props
  return (
    <section class="card" aria-labelledby="h-two-factor">
      <h2 id="h-two-factor">{m.twoFactor.heading}</h2>
      {!state.enabled ? (
        <>
          <p>{m.twoFactor.offIntro}</p>
          <p>
            <a href="/account/2fa">{m.twoFactor.turnOn}</a>
          </p>
        </>
      ) : (
        <>
          <p>{m.twoFactor.onIntro(state.recoveryCodesLeft)}</p>
          {props.required ? <p class="muted">{m.twoFactor.required}</p> : <TurnOffForm />}
        </>
      )}
    </section>
  )
}

function TurnOffForm() {
  return (
    <form method="post" action="/account/2fa/off">
      <p class="muted">{m.twoFactor.offHint}</p>
      <label for="two-factor-off-password">{m.twoFactor.offPassword}</label>
      <input id="two-factor-off-password" name="password" type="password" autocomplete="current-password" maxlength={200} />
      <label for="two-factor-off-code">{m.twoFactor.offCode}</label>
      <input id="two-factor-off-code" name="code" autocomplete="one-time-code" maxlength={64} {...VERBATIM} />
      <button type="submit">{m.twoFactor.turnOff}</button>
    </form>
  )
}

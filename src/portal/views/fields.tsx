import { m } from '../messages.js'

// Form fields and their errors, the same on every form of the portal (docs/decisions.md, "Form
// errors next to their field"): an error sits under its field's label, the input points at it
// (aria-invalid, aria-describedby), and the Layout lists every error at the top of the page.

/** One error of a submitted form: the input it is about (its id), or null for the whole form. */
export interface FieldError {
  fieldId: string | null
  message: string
  /** Nothing to correct: too many attempts, and the message says how long to wait. */
  wait?: boolean
}

/** The id of a form's input: `register` + `password_confirm` → `register-password-confirm`. */
export function fieldId(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/_/g, '-')}`
}

/** A refusal of a form with prefix `prefix` as that form's errors (a 429 is a wait, not a mistake). */
export function fieldErrors(prefix: string, refusal: { message: string; field?: string; status?: number }): FieldError[] {
  const error: FieldError = { fieldId: refusal.field ? fieldId(prefix, refusal.field) : null, message: refusal.message }
  return [refusal.status === 429 ? { ...error, wait: true } : error]
}

export interface FieldProps {
  prefix: string
  name: string
  label: string
  hint?: string
  errors?: FieldError[]
  type?: string
  value?: string
  autocomplete?: string
  required?: boolean
  minlength?: number
  maxlength?: number
  placeholder?: string
  /** A format the browser checks before sending (the server checks it again). */
  pattern?: string
  inputmode?: 'numeric' | 'text'
  /** The latest date a date field offers (the server checks it again). */
  max?: string
  /** A file field's types, as the picker offers them (core checks each file's content). */
  accept?: string
  /** A file field that takes several files. */
  multiple?: boolean
  /** Typed exactly as it is (a username, a code): a phone keyboard neither capitalizes nor corrects it. */
  verbatim?: boolean
}

/** The attributes that keep a phone keyboard from changing what is typed (FieldProps.verbatim). */
export const VERBATIM = { autocapitalize: 'none', autocorrect: 'off', spellcheck: false } as const

/** A labelled input with its hint and, after a failed submit, its error. */
export function Field(props: FieldProps) {
  const id = fieldId(props.prefix, props.name)
  const error = props.errors?.find((e) => e.fieldId === id)?.message
  const hintId = props.hint ? `${id}-hint` : null
  const errorId = error ? `${id}-error` : null
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined
  return (
    <>
      <label for={id}>
        {props.label}
        {props.hint ? (
          <span class="hint" id={hintId!}>
            {props.hint}
          </span>
        ) : null}
      </label>
      {error ? (
        <p class="field-error" id={errorId!}>
          {error}
        </p>
      ) : null}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        multiple={props.multiple}
        value={props.type === 'password' ? undefined : props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        accept={props.accept}
        minlength={props.minlength}
        maxlength={props.maxlength}
        placeholder={props.placeholder}
        pattern={props.pattern}
        inputmode={props.inputmode}
        max={props.max}
        {...(props.verbatim ? VERBATIM : {})}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
    </>
  )
}

/** A new password typed twice (`password` and `password_confirm`), with the bcrypt limits as hint. */
export function NewPasswordFields(props: { prefix: string; errors?: FieldError[]; label?: string; hint?: string }) {
  const common = { prefix: props.prefix, errors: props.errors, type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 200 }
  return (
    <>
      <Field {...common} name="password" label={props.label ?? m.fields.password} hint={props.hint ?? m.fields.passwordHint} />
      <Field {...common} name="password_confirm" label={m.fields.passwordConfirm} />
    </>
  )
}

/**
 * The list of a page's form errors, first in its main content, each linked to its field; headed
 * "wait" rather than "correct" when all there is to do is wait (too many attempts).
 */
export function ErrorSummary(props: { errors: FieldError[] }) {
  const title = props.errors.every((e) => e.wait) ? m.errors.waitTitle : m.errors.summaryTitle
  return (
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex={-1}>
      <h2 id="error-summary-title">{title}</h2>
      <ul>
        {props.errors.map((e) => (
          <li>{e.fieldId ? <a href={`#${e.fieldId}`}>{e.message}</a> : e.message}</li>
        ))}
      </ul>
    </div>
  )
}

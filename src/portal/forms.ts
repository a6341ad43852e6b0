import type { IncomingMessage } from 'node:http'
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { PortalContext, PortalEnv } from './env.js'
import { m } from './messages.js'
import { FormError } from './refusals.js'
import type { FormValues } from './views/auth.js'

// Reading the portal's forms: the fields as strings, and the login and create-account forms that
// the client area and the delivery links share. Checking the values is core's job.

type Form = Record<string, unknown>

const FORM_TYPES = /^(multipart\/form-data|application\/x-www-form-urlencoded)\s*(;|$)/i

/**
 * Reads a form's body before its route does (Hono keeps the parse, so the route's own read costs
 * nothing): a body that is no form after all (a multipart without a boundary, or broken) is the
 * sender's mistake, a 400 page from the refusal map, not an unexpected error. Uploads stream to
 * core, which refuses a broken body itself: app.ts lets them pass.
 */
export function readFormBodyFirst(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (c.req.method === 'POST' && FORM_TYPES.test(c.req.header('content-type') ?? '')) {
      try {
        await c.req.parseBody()
      } catch (error) {
        // Undici's "Failed to parse body as FormData"; a body over the limit keeps its own 413.
        if (error instanceof TypeError) throw new HTTPException(400, { message: 'malformed form body' })
        throw error
      }
    }
    return next()
  }
}

/** Reads a form field as a trimmed-at-nothing string ('' when absent or a file). */
export function field(form: Form, name: string): string {
  const value = form[name]
  return typeof value === 'string' ? value : ''
}

/** Every string value of a repeated field (checkboxes); parse the body with `{ all: true }`. */
export function fieldList(form: Form, name: string): string[] {
  const value = form[name]
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return items.filter((v): v is string => typeof v === 'string')
}

// Generous caps: anything longer is not a username or password anyone typed.
const MAX_USERNAME_CHARS = 256
const MAX_PASSWORD_CHARS = 1024

/** Reads username and password from a login form; refuses missing or absurd values (400). */
export async function readLoginForm(c: PortalContext): Promise<{ username: string; password: string }> {
  const form = await c.req.parseBody()
  const username = field(form, 'username').trim()
  const password = field(form, 'password')
  if (!username || !password) throw new FormError(m.errors.required(`${m.fields.username} e ${m.fields.password}`))
  if (username.length > MAX_USERNAME_CHARS || password.length > MAX_PASSWORD_CHARS) {
    throw new FormError(m.errors.badRequest)
  }
  return { username, password }
}

/**
 * Reads the create-account form fields (name, username, email, the password twice) and, apart,
 * the terms version whose "Li e concordo" box was ticked (null when not ticked).
 */
export async function readRegisterForm(
  c: PortalContext,
): Promise<{ values: Required<FormValues>; password: string; passwordConfirm: string; termsId: number | null }> {
  const form = await c.req.parseBody()
  const termsId = /^\d{1,9}$/.test(field(form, 'terms_id')) ? Number(field(form, 'terms_id')) : null
  return {
    values: { name: field(form, 'name'), username: field(form, 'username'), email: field(form, 'email') },
    password: field(form, 'password'),
    passwordConfirm: field(form, 'password_confirm'),
    termsId: field(form, 'terms') === '1' ? termsId : null,
  }
}

/** `MM/AAAA` (as Brazilians write a competência) as `AAAA-MM`; anything else unchanged for core to check. */
export function competenceFromInput(value: string): string {
  const match = /^(\d{1,2})\/(\d{4})$/.exec(value.trim())
  return match ? `${match[2]}-${match[1].padStart(2, '0')}` : value
}

/** `DD/MM/AAAA` (typed where the browser has no date picker) as `AAAA-MM-DD`; anything else unchanged for core to check. */
export function dateFromInput(value: string): string {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value.trim())
  return match ? `${match[3]}-${match[2].padStart(2, '0')}-${match[1].padStart(2, '0')}` : value.trim()
}

/**
 * Whether the request's body was read part way and left there: an upload refused past the most a
 * form may hold (core/uploads/intake.ts). A body never read (a redirect to the login before an
 * upload) is still read to its end by Node, so that the browser sees the answer.
 */
export function bodyLeftUnread(incoming: IncomingMessage | undefined): boolean {
  return incoming !== undefined && incoming.readableDidRead && !incoming.readableEnded
}

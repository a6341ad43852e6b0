import type { PortalContext } from './env.js'
import { field } from './forms.js'

// Where a login returns to (docs/security.md, "Return after login"): the page a guard sent the
// visitor away from, carried as `?next=` and a hidden form field. Anything that could leave the
// portal is dropped for the default page, so the login form is no open redirect.

/** The page a login lands on when no (safe) page was asked for. */
export const DEFAULT_PATH = '/'

const MAX_NEXT_CHARS = 2000

/**
 * `raw` when it is a same-origin relative path, else null: it starts with one `/` (not `//` or
 * `/\`, which browsers read as another host), has no backslash anywhere, and only printable ASCII
 * (no controls, spaces or raw non-ASCII: browsers strip tabs and newlines, turning `/\t/x` into `//x`).
 */
export function safeNextPath(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_NEXT_CHARS) return null
  if (!/^\/[\x21-\x7e]*$/.test(raw)) return null
  if (raw.startsWith('//') || raw.includes('\\')) return null
  // Belt and braces: resolved against any origin, the path must stay on it.
  const base = 'http://portal.invalid'
  try {
    return new URL(raw, base).origin === base ? raw : null
  } catch {
    return null
  }
}

/** The path and query of the request, to come back to after a login (GET only: a POST cannot be replayed). */
export function currentPathForNext(c: PortalContext): string | null {
  if (c.req.method !== 'GET') return null
  const url = new URL(c.req.url)
  return safeNextPath(url.pathname + url.search)
}

/** `/login`, with `next` and a notice code when given. */
export function loginUrl(options: { next?: string | null; notice?: string | null } = {}): string {
  const params = new URLSearchParams()
  const next = safeNextPath(options.next)
  if (next && next !== DEFAULT_PATH) params.set('next', next)
  if (options.notice) params.set('aviso', options.notice)
  const query = params.toString()
  return query ? `/login?${query}` : '/login'
}

/** The form's `next` field when it is safe, else null. */
export async function formNextPath(c: PortalContext): Promise<string | null> {
  // Hono caches the parsed body, so reading it again after the login fields costs nothing.
  return safeNextPath(field(await c.req.parseBody(), 'next'))
}

/** Where a login form's POST goes on success: its `next` field when safe, else the default page. */
export async function nextPathFromForm(c: PortalContext): Promise<string> {
  return (await formNextPath(c)) ?? DEFAULT_PATH
}

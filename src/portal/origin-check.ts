import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { PortalContext, PortalEnv } from './env.js'

// Cross-site request forgery (docs/security.md, "Forms and origins"). Pages send
// `Referrer-Policy: same-origin`, so every browser that sends Origin sends the real one on our own
// forms (with `no-referrer` browsers sent `Origin: null`, and only Sec-Fetch-Site, missing before
// Safari 16.4, let a form through). A state-changing request passes only with same-origin
// evidence: an Origin equal to ours, or, when Origin is absent or null, `Sec-Fetch-Site:
// same-origin`. Whatever its content type: a JSON or text body is no safer than a form.

const SAFE_METHODS = /^(GET|HEAD|OPTIONS)$/

/** Whether the request comes from one of our own pages. */
export function hasSameOriginEvidence(c: PortalContext): boolean {
  const origin = c.req.header('origin')
  if (origin && origin !== 'null') return isOurOrigin(c, origin)
  return c.req.header('sec-fetch-site') === 'same-origin'
}

// The request's own origin, or the configured base URL's when a proxy rewrites the host.
function isOurOrigin(c: PortalContext, origin: string): boolean {
  return origin === new URL(c.req.url).origin || origin === new URL(c.var.firm.baseUrl).origin
}

/** Refuses (403) any non-GET request without same-origin evidence. */
export function requireSameOrigin(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.test(c.req.method) || hasSameOriginEvidence(c)) return next()
    throw new HTTPException(403, { message: 'cross-origin request refused' })
  }
}

import type { Hono } from 'hono'
import type { PortalEnv } from './env.js'

// A known address asked with the wrong method (a typed /logout, a POST to a page) is no missing
// page: it answers 405 with the methods it takes in Allow (RFC 9110 §15.5.6), from the routes
// themselves, so no list is kept by hand.

interface RoutePattern {
  method: string
  pattern: RegExp
}

/** `/users/:id/role` as a regular expression for one request path. */
function patternOf(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
  return new RegExp(`^${source}$`)
}

/** The methods `app`'s routes answer for a path (HEAD wherever GET), read once the app is built. */
export function allowedMethodsOf(app: Hono<PortalEnv>): (path: string) => string[] {
  let routes: RoutePattern[] | null = null
  return (path) => {
    routes ??= app.routes.filter((route) => route.method !== 'ALL').map((route) => ({ method: route.method, pattern: patternOf(route.path) }))
    const methods = new Set<string>()
    for (const route of routes) {
      if (!route.pattern.test(path)) continue
      methods.add(route.method)
      if (route.method === 'GET') methods.add('HEAD')
    }
    return [...methods]
  }
}

import { Hono } from 'hono'
import { sql } from 'kysely'
import type { PortalEnv } from '../env.js'

/** GET /healthz: 200 when the database answers, 503 otherwise (for load balancers). */
export function healthRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()
  app.get('/', async (c) => {
    try {
      await sql`select 1`.execute(c.var.deps.db)
      return c.text('ok', 200, { 'Cache-Control': 'no-store' })
    } catch (error) {
      c.var.deps.logger.error('portal: health check failed', error)
      return c.text('unavailable', 503, { 'Cache-Control': 'no-store' })
    }
  })
  return app
}

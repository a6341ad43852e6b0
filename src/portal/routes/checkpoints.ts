import { Hono, type Context } from 'hono'
import { consistencyBetween, newestSignedCheckpoint } from '../../core/proof/consistency.js'
import { ConflictError, ConfiError, NotFoundError } from '../../core/errors.js'
import type { PortalEnv } from '../env.js'
import { m } from '../messages.js'

// Public, read-only evidence of the access log for anyone who holds a checkpoint (from a receipt
// or an e-mail): the newest signed checkpoint, and RFC 9162 consistency proofs between two tree
// sizes (docs/receipts.md#consistency-proofs). JSON, no login, no personal data: sizes, hashes and
// signatures only. Other sites' scripts may read them (CORS), as they carry nothing private.

// Between two given sizes the proof of an append-only log never changes; "the newest" does.
const FIXED = 'public, max-age=3600'
const MOVING = 'public, max-age=60'

type Json = Context<PortalEnv>

function answer(c: Json, body: unknown, status: 200 | 400 | 404 | 409, cache: string) {
  return c.json(body, status, { 'Cache-Control': status === 200 ? cache : 'no-store', 'Access-Control-Allow-Origin': '*' })
}

/** A tree size from the query: whole digits, 1 or more; undefined when absent, null when malformed. */
function size(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) return null
  return Number(value)
}

/** GET /latest and /consistency?from=&to= under /checkpoints. */
export function checkpointRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/latest', async (c) => {
    const newest = await newestSignedCheckpoint(c.var.deps.db)
    if (!newest) return answer(c, { error: m.checkpoints.none }, 404, MOVING)
    return answer(c, newest, 200, MOVING)
  })

  app.get('/consistency', async (c) => {
    const from = size(c.req.query('from'))
    const to = size(c.req.query('to'))
    if (from == null) return answer(c, { error: m.checkpoints.badSize('from') }, 400, FIXED)
    if (to === null) return answer(c, { error: m.checkpoints.badSize('to') }, 400, FIXED)
    const { db } = c.var.deps
    let target = to
    if (target === undefined) {
      const newest = await newestSignedCheckpoint(db)
      if (!newest) return answer(c, { error: m.checkpoints.none }, 404, MOVING)
      target = newest.treeSize
    }
    if (from > target) return answer(c, { error: m.checkpoints.fromAfterTo(from, target) }, 400, FIXED)
    try {
      return answer(c, await consistencyBetween(db, from, target), 200, to === undefined ? MOVING : FIXED)
    } catch (error) {
      if (error instanceof NotFoundError) return answer(c, { error: m.checkpoints.beyond(target) }, 404, MOVING)
      // A signed root the rows no longer give, or a stored tree with holes: no proof is handed out.
      if (error instanceof ConflictError || (error instanceof ConfiError && error.code === 'error')) {
        c.var.deps.logger.error('portal: no consistency proof', error)
        return answer(c, { error: m.checkpoints.conflict }, 409, FIXED)
      }
      throw error
    }
  })

  return app
}

import { Hono } from 'hono'
import { answerNothingToSend } from '../../core/requests/answers.js'
import { requestForUser } from '../../core/requests/access.js'
import { requestHistory } from '../../core/requests/requests.js'
import { render, viewerOf, type PortalEnv } from '../env.js'
import { field } from '../forms.js'
import { requireArea, senderOrigin } from '../guards.js'
import { parseId } from '../ids.js'
import { m } from '../messages.js'
import { RequestPage } from '../views/requests.js'

const NOTICES: Record<string, string> = { 'nada-a-enviar': m.requests.nothingDone }

/**
 * GET /pendencias/:id, a request the firm made, and POST /pendencias/:id/nada-a-enviar. Who may
 * see and answer is core's rule (core/requests/access.ts): anyone else gets the 404 of a request
 * that does not exist. The send form posts to /pendencias/:id/enviar (the uploads' routes).
 */
export function requestRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/:id', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const { db } = c.var.deps
    const request = await requestForUser(db, auth.user, parseId(c.req.param('id')))
    return render(
      c,
      RequestPage({
        firmName: c.var.firm.firmName,
        viewer: viewerOf(auth)!,
        request,
        history: await requestHistory(db, request.id),
        notice: NOTICES[c.req.query('feito') ?? ''],
      }),
    )
  })

  app.post('/:id/nada-a-enviar', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const id = parseId(c.req.param('id'))
    const form = await c.req.parseBody()
    await answerNothingToSend(c.var.deps.db, auth.user.id, id, { note: field(form, 'observacao'), origin: senderOrigin(c) })
    return c.redirect(`/pendencias/${id}?feito=nada-a-enviar`, 303)
  })

  return app
}

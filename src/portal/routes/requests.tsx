import { Hono } from 'hono'
import { ConflictError } from '../../core/errors.js'
import { answerNothingToSend } from '../../core/requests/answers.js'
import { requestForUser } from '../../core/requests/access.js'
import { requestHistory } from '../../core/requests/requests.js'
import { FILES_FIELD, UPLOAD_FIELDS, UploadRefusedError } from '../../core/uploads/index.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { field } from '../forms.js'
import { requireArea, senderOrigin } from '../guards.js'
import { parseId } from '../ids.js'
import { m } from '../messages.js'
import { messagePage } from '../pages.js'
import { fieldId, type FieldError } from '../views/fields.js'
import { RequestPage, SEND_PREFIX } from '../views/requests.js'
import { um } from '../views/uploads.js'
import { limitsOf, receive, uploadRefusal } from './uploads.js'

const NOTICES: Record<string, string> = { 'nada-a-enviar': m.requests.nothingDone }

/** The page of request `id` as `auth` may see it, with a notice or a refused send's errors and note. */
async function requestPage(
  c: PortalContext,
  auth: Auth,
  id: number,
  extra: { notice?: string; errors?: FieldError[]; typedNote?: string } = {},
  status = 200,
): Promise<Response> {
  const { db } = c.var.deps
  const request = await requestForUser(db, auth.user, id)
  const page = RequestPage({
    firmName: c.var.firm.firmName,
    viewer: viewerOf(auth)!,
    request,
    history: await requestHistory(db, request.id),
    limits: await limitsOf(c),
    ...extra,
  })
  return render(c, page, status)
}

/**
 * GET /pendencias/:id, a request the firm made, and its two answers: POST /pendencias/:id/enviar
 * (files, streamed to core like every upload, routes/uploads.tsx) and POST
 * /pendencias/:id/nada-a-enviar. Who may see and answer is core's rule (core/requests/access.ts):
 * anyone else gets the 404 of a request that does not exist.
 */
export function requestRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/:id', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    return requestPage(c, auth, parseId(c.req.param('id')), { notice: NOTICES[c.req.query('feito') ?? ''] })
  })

  // A refused file shows the request's page again, its error by the file field and the note kept
  // (docs/decisions.md, "Form errors next to their field"); a request closed meanwhile is a 409 page.
  app.post('/:id/enviar', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const id = parseId(c.req.param('id'))
    try {
      const uploadId = await receive(c, auth, id)
      return c.redirect(`/envios/${uploadId}?aviso=enviado`, 303)
    } catch (error) {
      if (error instanceof ConflictError) {
        const back = { href: `/pendencias/${id}`, text: um.back }
        return messagePage(c, { viewer: viewerOf(auth), title: um.refusedTitle.closed, message: um.refused.closed, kind: 'error', link: back }, 409)
      }
      if (!(error instanceof UploadRefusedError)) throw error
      const { status, message } = await uploadRefusal(c, error)
      const errors = [{ fieldId: fieldId(SEND_PREFIX, FILES_FIELD), message }]
      return requestPage(c, auth, id, { errors, typedNote: error.fields.get(UPLOAD_FIELDS.note) }, status)
    }
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

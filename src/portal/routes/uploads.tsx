import { Readable } from 'node:stream'
import { Hono } from 'hono'
import {
  getUploadForUser,
  openUploadFileForUser,
  receiveUpload,
  sendChoices,
  uploadLimits,
  FILES_FIELD,
  UPLOAD_FIELDS,
  UploadRefusedError,
} from '../../core/uploads/index.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { contentDisposition, requireArea, senderOrigin } from '../guards.js'
import { parseId } from '../ids.js'
import { fieldId } from '../views/fields.js'
import { SendPage, UploadPage, um } from '../views/uploads.js'

// What a client sends the firm (docs/uploads.md): GET/POST /enviar sends outside any request,
// GET /envios/:id shows an upload and its history, and its files download again (always as
// attachments). A request's answer (POST /pendencias/:id/enviar, routes/requests.tsx) and a
// guide's "Marcar como pago" with its proof (POST /documents/:id/pago, routes/documents.tsx) read
// their bodies with this file's helpers. The body streams to core, which stores each file as it
// arrives; the portal's small body limit does not apply to these posts (isUploadPath), core's
// upload limits do.

const UPLOAD_POST = /^\/(enviar|pendencias\/\d{1,10}\/enviar|documents\/\d{1,10}\/pago)$/

/**
 * Whether a request is an upload, whose body core reads as a stream under its own limits: a
 * multipart POST to an upload form. Any other body keeps the portal's small limit.
 */
export function isUploadPath(method: string, path: string, contentType: string | undefined): boolean {
  return method === 'POST' && UPLOAD_POST.test(path) && isMultipart(contentType)
}

/** Whether a body is multipart/form-data (an upload form's). */
export function isMultipart(contentType: string | undefined): boolean {
  return /^multipart\/form-data\s*;/i.test(contentType ?? '')
}

// Each refusal's status: too large 413, a type not accepted 415, the rest 400 (a fiscal document
// sent again: 409, like any conflict).
const STATUS: Record<string, number> = { too_large: 413, upload_too_large: 413, type_not_accepted: 415, already_received: 409 }

function refusalText(error: UploadRefusedError, limits: { maxMb: number; maxFiles: number }): string {
  const name = error.details.fileName ?? ''
  switch (error.problem) {
    case 'too_large':
      return um.refused.too_large(name, limits.maxMb)
    case 'upload_too_large':
      return um.refused.upload_too_large(limits.maxMb * limits.maxFiles)
    case 'too_many_files':
      return um.refused.too_many_files(limits.maxFiles)
    case 'type_not_accepted':
      return um.refused.type_not_accepted(name)
    case 'empty_file':
      return um.refused.empty_file(name)
    case 'already_received':
      return um.refused.already_received(name)
    default:
      return um.refused[error.problem]
  }
}

function refusalStatus(error: UploadRefusedError): number {
  return STATUS[error.problem] ?? 400
}

/** A refused upload's status and pt-BR sentence. */
export async function uploadRefusal(c: PortalContext, error: UploadRefusedError): Promise<{ status: number; message: string }> {
  return { status: refusalStatus(error), message: refusalText(error, await limitsOf(c)) }
}

/** The firm's upload limits as the pages say them: MB per file and files per upload. */
export async function limitsOf(c: PortalContext): Promise<{ maxMb: number; maxFiles: number }> {
  const limits = await uploadLimits(c.var.deps.db)
  return { maxMb: limits.maxFileBytes / (1024 * 1024), maxFiles: limits.maxFiles }
}

/**
 * The request's body as a Node stream (never read whole here): under @hono/node-server the
 * socket's own IncomingMessage, untouched so far (no middleware reads an upload's body), which
 * spares a conversion to a web stream and back; else (app.request in tests) the web body.
 */
export function bodyStream(c: PortalContext): Readable {
  const incoming = c.env?.incoming
  if (incoming instanceof Readable && !incoming.readableDidRead) return incoming
  const raw = c.req.raw.body
  return raw ? Readable.fromWeb(raw as import('node:stream/web').ReadableStream) : Readable.from([])
}

/** Hands the request's body to core as a stream (for request `requestId`, or none). */
export function receive(c: PortalContext, auth: Auth, requestId: number | null): Promise<number> {
  return receiveUpload(c.var.deps.db, c.var.deps.store, {
    userId: auth.user.id,
    requestId,
    body: bodyStream(c),
    contentType: c.req.header('content-type'),
    origin: senderOrigin(c),
    commit: c.var.deps.commitUpload,
  })
}

/** The upload routes described at the top of this file. */
export function uploadRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/enviar', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const choices = await sendChoices(c.var.deps.db, auth.user.id)
    return render(c, SendPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth)!, form: { ...choices, ...(await limitsOf(c)) } }))
  })

  app.post('/enviar', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    try {
      const id = await receive(c, auth, null)
      return c.redirect(`/envios/${id}?aviso=enviado`, 303)
    } catch (error) {
      if (!(error instanceof UploadRefusedError)) throw error
      const limits = await limitsOf(c)
      const choices = await sendChoices(c.var.deps.db, auth.user.id)
      const errors = [{ fieldId: fieldId('enviar', FILES_FIELD), message: refusalText(error, limits) }]
      const typed = {
        company: error.fields.get(UPLOAD_FIELDS.company),
        category: error.fields.get(UPLOAD_FIELDS.category),
        note: error.fields.get(UPLOAD_FIELDS.note),
      }
      const form = { ...choices, ...limits, typed }
      return render(c, SendPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth)!, form, errors }), refusalStatus(error))
    }
  })

  app.get('/envios/:id', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const view = await getUploadForUser(c.var.deps.db, auth.user.id, parseId(c.req.param('id')))
    const notice = c.req.query('aviso') === 'enviado' ? um.sentNotice : undefined
    return render(c, UploadPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth)!, view, notice }))
  })

  // The client's own file back: never shown inline (a sent HTML or SVG must not run as our page).
  app.get('/envios/:id/arquivos/:file', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const file = await openUploadFileForUser(c.var.deps.db, c.var.deps.store, auth.user.id, parseId(c.req.param('id')), parseId(c.req.param('file')))
    return c.body(Readable.toWeb(file.body) as unknown as ArrayBuffer, 200, {
      'Content-Type': file.mediaType,
      'Content-Length': String(file.size),
      'Content-Disposition': contentDisposition(file.name),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    })
  })

  return app
}

import { actorLabel } from '../audit/events.js'
import type { Actor } from '../actors.js'
import { appendInTransaction } from '../access-log/chain/append.js'
import { defineEventKind, type EventEntry } from '../access-log/chain/format-v2.js'
import type { Db } from '../db/database.js'
import type { AccessOrigin } from '../documents/download.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { requestForAnswer } from './access.js'
import { getRequest, moveRequest, parseNote, type DocumentRequest } from './requests.js'

// What a client's user answers to a request: files (the uploads module calls markRequestReceived
// in the transaction that stores the upload) or "nada a enviar" (answerNothingToSend). Both are
// refused, as "not found", to anyone who may not answer the request (./access.ts).

// A client's "nothing to send this month" is part of the client's proof of what it answered
// (docs/access-log.md, "Kinds"): the note it typed stays in request_events, never in the log.
defineEventKind('request.nothing_to_send', { document: false, client: true })

/**
 * Files arrived for request `requestId` in upload `uploadId`: status received and a 'received'
 * step, inside the caller's transaction `trx` (the one writing the upload). A client user must be
 * one who may answer the request (else NotFoundError); the upload must be for the request's
 * company; an accepted or cancelled request takes no files (ConflictError).
 */
export async function markRequestReceived(
  trx: Db,
  requestId: number,
  input: { uploadId: number; userId: number | null; actor: Actor },
): Promise<DocumentRequest> {
  const found =
    input.actor.kind === 'client_user' ? (await requestForAnswer(trx, input.actor.userId, requestId)).request : await getRequest(trx, requestId)
  const upload = await trx.selectFrom('uploads').select(['client_id']).where('id', '=', input.uploadId).executeTakeFirst()
  if (!upload) throw new NotFoundError(`no upload with id ${input.uploadId}`)
  if (Number(upload.client_id) !== found.clientId) {
    throw new ConflictError(`upload ${input.uploadId} is for another company than request ${requestId}`)
  }
  const request = await moveRequest(trx, requestId, 'received', {
    actor: await actorLabel(trx, input.actor),
    userId: input.userId,
    uploadId: input.uploadId,
  })
  return request
}

/**
 * The client's user `userId` says there is nothing to send for request `requestId` (optionally
 * why): status nothing_to_send, the step with its note, and a request.nothing_to_send row of the
 * access log, all in one transaction. Only an open request can be answered so.
 */
export async function answerNothingToSend(
  db: Db,
  userId: number,
  requestId: number,
  input: { note?: string | null; origin: Omit<AccessOrigin, 'user'> },
): Promise<DocumentRequest> {
  const note = parseNote(input.note)
  return db.transaction().execute(async (trx) => {
    const { user } = await requestForAnswer(trx, userId, requestId)
    const request = await moveRequest(trx, requestId, 'nothing_to_send', { actor: `user:${user.username}`, userId: user.id, note })
    const entry: EventEntry = {
      kind: 'request.nothing_to_send',
      clientId: request.clientId,
      user: { id: user.id, username: user.username, name: user.name },
      channel: 'portal',
      ip: input.origin.ip,
      port: input.origin.port,
      userAgent: input.origin.userAgent,
      details: { request_id: request.id, title: request.title, competence: request.competence },
    }
    await appendInTransaction(trx, [entry])
    return request
  })
}

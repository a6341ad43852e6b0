import { assertAccountant, type Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import type { MailReadyFirm } from '../mail/document-mail.js'
import { answerersOf } from './access.js'
import { queueRequestMail } from './request-mail.js'
import { allowsMove, getRequest, moveRequest, parseNote, type DocumentRequest } from './requests.js'

// The firm's decisions on a request (`confi requests close|reopen|cancel`): accept what arrived,
// reject it (the request opens again and the client's people are told why by e-mail), or cancel
// the request. The moves allowed from each status are REQUEST_MOVES (./requests.ts).

/** Accepts request `id` (`requests close`): status accepted. */
export async function closeRequest(db: Db, actor: Actor, id: number, input: { note?: string | null } = {}): Promise<DocumentRequest> {
  assertAccountant(actor, 'decide on requests')
  const note = parseNote(input.note)
  return db.transaction().execute(async (trx) => moveRequest(trx, id, 'accepted', { actor: await actorLabel(trx, actor), note }))
}

/** Cancels request `id`: nobody is asked for it any more. */
export async function cancelRequest(db: Db, actor: Actor, id: number, input: { note?: string | null } = {}): Promise<DocumentRequest> {
  assertAccountant(actor, 'decide on requests')
  const note = parseNote(input.note)
  return db.transaction().execute(async (trx) => moveRequest(trx, id, 'cancelled', { actor: await actorLabel(trx, actor), note }))
}

/**
 * Rejects the answer to request `id` (`requests reopen`): a 'rejected' step with the reason, the
 * request open again, and, when `mail` is given, an e-mail (kind 'answer') to each of the
 * client's people who may answer it, in the same transaction. Returns the request and the
 * addresses queued.
 */
export async function reopenRequest(
  db: Db,
  actor: Actor,
  id: number,
  input: { reason?: string | null; mail: MailReadyFirm | null },
): Promise<{ request: DocumentRequest; mailedTo: string[] }> {
  assertAccountant(actor, 'decide on requests')
  const reason = parseNote(input.reason, 'reason')
  return db.transaction().execute(async (trx) => {
    const createdBy = await actorLabel(trx, actor)
    const request = await moveRequest(trx, id, 'rejected', { actor: createdBy, note: reason })
    const mailedTo: string[] = []
    if (input.mail) {
      for (const { email } of await answerersOf(trx, request)) {
        await queueRequestMail(trx, { firm: input.mail, request, recipient: email, createdBy, mail: { kind: 'answer', reason } })
        mailedTo.push(email)
      }
    }
    return { request, mailedTo }
  })
}

/**
 * The firm decided on upload `uploadId` that answered request `requestId` (`confi inbox accept|reject`),
 * inside the decision's transaction: an accepted upload accepts the request; a rejected one opens
 * it again, the reason in its history, unless the request was meanwhile accepted or cancelled
 * (another upload settled it: a rejection of this one changes nothing there). The client's people
 * are told by the uploads' answer e-mail, not here.
 */
export async function settleRequestForUpload(
  trx: Db,
  requestId: number,
  input: { decision: 'accepted' | 'rejected'; uploadId: number; actor: Actor; reason: string | null },
): Promise<void> {
  const request = await getRequest(trx, requestId)
  if (!allowsMove(request.status, input.decision)) return
  await moveRequest(trx, requestId, input.decision, { actor: await actorLabel(trx, input.actor), uploadId: input.uploadId, note: input.reason })
}

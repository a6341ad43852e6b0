import type { Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import { nowIso } from '../time.js'

// SEAM (issue 20): the requests concept (src/core/requests/) owns a request's states and history.
// Until it is merged, these two functions are the minimal stand-ins an upload needs: the lead
// replaces their bodies by calls to the requests module (markRequestReceived, and its answer to
// the firm's decision on an upload). Nothing else in src/core/uploads/ writes requests.

/** A file arrived for request `requestId`: it becomes received, with a history row. */
export async function markRequestReceived(
  trx: Db,
  requestId: number,
  input: { uploadId: number; userId: number; actor: Actor },
): Promise<void> {
  const at = nowIso()
  await trx.updateTable('requests').set({ status: 'received', updated_at: at }).where('id', '=', requestId).execute()
  await trx
    .insertInto('request_events')
    .values({ request_id: requestId, at, action: 'received', actor: await actorLabel(trx, input.actor), user_id: input.userId, upload_id: input.uploadId, note: null })
    .execute()
}

/**
 * The firm decided on an upload that answers request `requestId`: accepted closes the request as
 * accepted; rejected reopens it (the client must send again), the reason in its history.
 */
export async function settleRequestAfterDecision(
  trx: Db,
  requestId: number,
  input: { decision: 'accepted' | 'rejected'; uploadId: number; actor: Actor; reason: string | null },
): Promise<void> {
  const at = nowIso()
  const status = input.decision === 'accepted' ? 'accepted' : 'open'
  await trx.updateTable('requests').set({ status, updated_at: at }).where('id', '=', requestId).execute()
  await trx
    .insertInto('request_events')
    .values({ request_id: requestId, at, action: input.decision, actor: await actorLabel(trx, input.actor), user_id: null, upload_id: input.uploadId, note: input.reason })
    .execute()
}

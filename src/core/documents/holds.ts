import { assertAccountant, type Actor } from '../actors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import type { Db } from '../db/database.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { checkPlainText, collapseSpaces } from '../text-input.js'
import { nowIso } from '../time.js'
import { expiredError } from './documents.js'

// Legal holds (docs/privacy.md, "Holds"): a document under hold is never expired by retention,
// whatever its age, until the hold is released. One open hold per document (schema.sql).

export interface Hold {
  id: number
  documentId: number
  reason: string
  heldAt: string
  heldBy: string
  releasedAt: string | null
  releasedBy: string | null
}

function toHold(row: { id: number; document_id: number; reason: string; held_at: string; held_by: string; released_at: string | null; released_by: string | null }): Hold {
  return {
    id: Number(row.id),
    documentId: Number(row.document_id),
    reason: row.reason,
    heldAt: row.held_at,
    heldBy: row.held_by,
    releasedAt: row.released_at,
    releasedBy: row.released_by,
  }
}

/** The document's open hold, or null. */
export async function openHold(db: Db, documentId: number): Promise<Hold | null> {
  const row = await db.selectFrom('document_holds').selectAll().where('document_id', '=', documentId).where('released_at', 'is', null).executeTakeFirst()
  return row ? toHold(row) : null
}

// Locks the document's row (an UPDATE that changes nothing) so a retention run expiring it
// concurrently waits, or has already expired it and the hold is refused.
async function lockLiveDocument(trx: Db, documentId: number): Promise<void> {
  const locked = await trx.updateTable('documents').set({ id: documentId }).where('id', '=', documentId).where('expired_at', 'is', null).executeTakeFirst()
  if (Number(locked.numUpdatedRows) === 1) return
  const row = await trx.selectFrom('documents').select(['expired_at', 'expired_reason']).where('id', '=', documentId).executeTakeFirst()
  if (!row) throw new NotFoundError(`no document with id ${documentId}: see 'confi docs list'`)
  throw expiredError(documentId, row.expired_at!, row.expired_reason)
}

function parseReason(value: string): string {
  const reason = checkPlainText(collapseSpaces(value), 'reason')
  if (reason === '' || reason.length > 500) throw new ValidationError(`a hold needs a reason of 1 to 500 characters, not ${reason.length}`)
  return reason
}

/** Puts document `documentId` under a legal hold; ConflictError when it already is under one. */
export async function holdDocument(db: Db, actor: Actor, documentId: number, reasonText: string): Promise<Hold> {
  assertAccountant(actor, 'hold documents')
  const reason = parseReason(reasonText)
  const by = await actorLabel(db, actor)
  return db.transaction().execute(async (trx) => {
    await lockLiveDocument(trx, documentId)
    const current = await openHold(trx, documentId)
    if (current) {
      throw new ConflictError(`document ${documentId} is already held since ${current.heldAt.slice(0, 10)} (${current.reason}): release it first with 'confi docs release ${documentId}'`)
    }
    const row = await trx
      .insertInto('document_holds')
      .values({ document_id: documentId, reason, held_at: nowIso(), held_by: by, released_at: null, released_by: null })
      .returningAll()
      .executeTakeFirstOrThrow()
    const client = await trx.selectFrom('documents').select('client_id').where('id', '=', documentId).executeTakeFirstOrThrow()
    await recordEvent(trx, { actor, action: 'document.held', clientId: Number(client.client_id), details: { documentId, holdId: Number(row.id) } })
    return toHold(row)
  })
}

/** Releases document `documentId`'s open hold; ConflictError when it has none. */
export async function releaseDocument(db: Db, actor: Actor, documentId: number): Promise<Hold> {
  assertAccountant(actor, 'release held documents')
  const by = await actorLabel(db, actor)
  return db.transaction().execute(async (trx) => {
    const document = await trx.selectFrom('documents').select('client_id').where('id', '=', documentId).executeTakeFirst()
    if (!document) throw new NotFoundError(`no document with id ${documentId}: see 'confi docs list'`)
    const current = await openHold(trx, documentId)
    if (!current) throw new ConflictError(`document ${documentId} is not held: nothing to release`)
    const row = await trx
      .updateTable('document_holds')
      .set({ released_at: nowIso(), released_by: by })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordEvent(trx, { actor, action: 'document.released', clientId: Number(document.client_id), details: { documentId, holdId: current.id } })
    return toHold(row)
  })
}

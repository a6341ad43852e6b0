import type { Db } from '../../db/database.js'
import { NotFoundError } from '../../errors.js'
import { appendInTransaction } from './append.js'
import { checkEventEntry, type DocumentDetails, type DocumentEventKind } from './format-v2.js'

// The firm's events about a document in the log (docs/access-log.md, "Kinds"): what became
// visible to the client, with each file's name, size and SHA-256, signed into the same chain as
// the accesses. Written in the caller's transaction, after the document's own rows.

/** The document as the log records it, read inside `trx` (so exactly what commits with it). */
async function documentDetails(trx: Db, documentId: number): Promise<{ clientId: number; details: DocumentDetails }> {
  const document = await trx
    .selectFrom('documents')
    .select(['client_id', 'title', 'category', 'competence', 'due_date', 'amount_cents'])
    .where('id', '=', documentId)
    .executeTakeFirst()
  if (!document) throw new NotFoundError(`no document with id ${documentId}`)
  const files = await trx
    .selectFrom('attachments')
    .select(['id', 'file_name', 'media_type', 'size', 'sha256'])
    .where('document_id', '=', documentId)
    .orderBy('id')
    .execute()
  return {
    clientId: Number(document.client_id),
    details: {
      title: document.title,
      category: document.category,
      competence: document.competence,
      due_date: document.due_date,
      amount_cents: document.amount_cents == null ? null : Number(document.amount_cents),
      files: files.map((f) => ({
        attachment_id: Number(f.id),
        name: f.file_name,
        media_type: f.media_type,
        size: Number(f.size),
        sha256: f.sha256,
      })),
    },
  }
}

/**
 * Appends document.published (or document.changed: the document as it now is) for `documentId`
 * inside `trx`, the transaction that writes or changes the document; returns the row's id.
 */
export async function logDocumentEvent(trx: Db, kind: Exclude<DocumentEventKind, 'document.removed'>, documentId: number): Promise<number> {
  const { clientId, details } = await documentDetails(trx, documentId)
  const entry = { kind, documentId, clientId, details }
  checkEventEntry(entry)
  const [[id]] = await appendInTransaction(trx, [entry])
  return id
}

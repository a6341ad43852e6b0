import type { Actor } from '../actors.js'
import type { Db } from '../db/database.js'
import { getDocument, insertDocument, prepareDocument, type Document, type NewDocument } from '../documents/documents.js'
import type { FileStore } from '../storage/file-store.js'
import { notifyNewDocument, type MailReadyFirm } from './document-mail.js'

// Filing a document, optionally with the e-mails that announce it (`docs add --notify`, `docs
// import --notify`, `docs queue assign --notify`): here, above both documents and mail, so the
// document and its notifications commit in one transaction without core calling back into a
// command.

export interface FilingOptions {
  /**
   * Queue the notification of the new document to its client's people, with this firm's sender
   * (from `requireMailReady`, checked before anything is filed).
   */
  notify?: MailReadyFirm
}

export interface FiledDocument {
  document: Document
  /** How many notification e-mails were queued (0 without `notify`). */
  notified: number
}

/**
 * Files a document (core/documents' `prepareDocument`: checked, files stored durably) and, with
 * `notify`, queues its notification e-mails: the rows and the e-mails commit together or not at all.
 */
export async function fileDocument(
  db: Db,
  store: FileStore,
  actor: Actor,
  input: NewDocument,
  options: FilingOptions = {},
): Promise<FiledDocument> {
  const prepared = await prepareDocument(db, store, actor, input)
  const { notify } = options
  const filed = await db.transaction().execute(async (trx) => {
    const id = await insertDocument(trx, actor, prepared)
    const notified = notify ? await notifyNewDocument(trx, notify, await getDocument(trx, id), prepared.createdBy) : 0
    return { id, notified }
  })
  return { document: await getDocument(db, filed.id), notified: filed.notified }
}

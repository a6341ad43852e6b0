// The import queue: parts of imported files that could not be filed, kept (bytes in the file
// store) with the reason and what was recognised until a person assigns or drops them.
import { assertAccountant, type AccountantActor, type Actor } from '../actors.js'
import { recordEvent } from '../audit/events.js'
import type { Db } from '../db/database.js'
import type { Document } from '../documents/documents.js'
import { NotFoundError, ValidationError } from '../errors.js'
import { fileDocument } from '../mail/document-filing.js'
import type { MailReadyFirm } from '../mail/document-mail.js'
import { putBytes, type FileStore, type StoredFile } from '../storage/file-store.js'
import { nowIso } from '../time.js'
import type { Recognised } from './recognise.js'

export interface QueueItem {
  id: number
  fileName: string
  sourcePath: string
  sourceSha256: string
  pages: string
  reason: string
  recognised: Partial<Recognised>
  size: number
  sha256: string
  storageKey: string
  createdAt: string
  createdBy: string
}

export interface NewQueueItem {
  fileName: string
  sourcePath: string
  sourceSha256: string
  pages: string
  reason: string
  recognised: Partial<Recognised>
  /** The bytes of the part (the whole file, or the pages cut out of it). */
  bytes: Uint8Array
}

/**
 * Queues a part; the same part of the same file queued again (a re-run) returns the existing
 * item with `existing: true` instead of a second copy.
 */
export async function enqueue(
  db: Db,
  store: FileStore,
  actor: AccountantActor,
  input: NewQueueItem,
): Promise<{ item: QueueItem; existing: boolean }> {
  const found = await findQueued(db, input.sourceSha256, input.pages)
  if (found) return { item: found, existing: true }
  const stored = await putBytes(store, input.bytes)
  const id = await insertItem(db, actor, input, stored).catch(async (error: unknown) => {
    // The same part queued by a concurrent file of this run (two copies in one folder).
    const raced = await findQueued(db, input.sourceSha256, input.pages)
    if (raced) return null
    throw error
  })
  if (id === null) return { item: (await findQueued(db, input.sourceSha256, input.pages))!, existing: true }
  return { item: await getQueueItem(db, id), existing: false }
}

async function insertItem(db: Db, actor: AccountantActor, input: NewQueueItem, stored: StoredFile): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('import_queue')
      .values({
        file_name: input.fileName,
        source_path: input.sourcePath,
        source_sha256: input.sourceSha256,
        pages: input.pages,
        reason: input.reason,
        recognised: JSON.stringify(input.recognised),
        storage_key: stored.key,
        size: stored.size,
        sha256: stored.sha256,
        created_at: nowIso(),
        created_by: actor.label,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await recordEvent(trx, {
      actor,
      action: 'import.queued',
      clientId: null,
      details: { item: Number(row.id), file: input.fileName, pages: input.pages, reason: input.reason },
    })
    return Number(row.id)
  })
}

async function findQueued(db: Db, sourceSha256: string, pages: string): Promise<QueueItem | null> {
  const row = await db
    .selectFrom('import_queue')
    .selectAll()
    .where('source_sha256', '=', sourceSha256)
    .where('pages', '=', pages)
    .executeTakeFirst()
  return row ? toItem(row) : null
}

function toItem(row: Record<string, unknown> & { recognised: string }): QueueItem {
  return {
    id: Number(row.id),
    fileName: String(row.file_name),
    sourcePath: String(row.source_path),
    sourceSha256: String(row.source_sha256),
    pages: String(row.pages),
    reason: String(row.reason),
    recognised: JSON.parse(row.recognised) as Partial<Recognised>,
    size: Number(row.size),
    sha256: String(row.sha256),
    storageKey: String(row.storage_key),
    createdAt: String(row.created_at),
    createdBy: String(row.created_by),
  }
}

/** Every queued item, oldest first. */
export async function listQueue(db: Db): Promise<QueueItem[]> {
  const rows = await db.selectFrom('import_queue').selectAll().orderBy('id').execute()
  return rows.map(toItem)
}

/** One queued item from a reference typed by a person. */
export async function getQueueItem(db: Db, ref: string | number): Promise<QueueItem> {
  const value = String(ref).trim()
  if (!/^\d{1,15}$/.test(value)) {
    throw new ValidationError(`'${ref}' is not a queue item: give the number shown by 'confi docs queue list'`)
  }
  const row = await db.selectFrom('import_queue').selectAll().where('id', '=', Number(value)).executeTakeFirst()
  if (!row) throw new NotFoundError(`no queue item ${value}: see 'confi docs queue list'`)
  return toItem(row)
}

export interface Assignment {
  clientId: number
  title?: string
  category?: string
  competence?: string
  dueDate?: string
  /** Queue the new document's notification e-mails with it (core/mail's `fileDocument`). */
  notify?: MailReadyFirm
}

/**
 * Files a queued item as a document of a client (what was recognised fills what is not given)
 * and removes it from the queue. When that client already has these exact bytes, nothing is
 * added and the item is removed: `document` is then null. `notified`: the e-mails queued with it.
 */
export async function assignQueueItem(
  db: Db,
  store: FileStore,
  actor: Actor,
  ref: string | number,
  assignment: Assignment,
): Promise<{ item: QueueItem; document: Document | null; notified: number }> {
  assertAccountant(actor, 'file queued imports')
  const item = await getQueueItem(db, ref)
  const seen = item.recognised
  const title = assignment.title ?? (seen.hasText ? seen.title : undefined)
  if (!title) throw new ValidationError(`queue item ${item.id} has no recognised title: give --title`)
  const filed = (await clientHasFile(db, assignment.clientId, item.sha256))
    ? null
    : await fileDocument(
        db,
        store,
        actor,
        {
          clientId: assignment.clientId,
          title,
          category: assignment.category ?? seen.category ?? 'outros',
          competence: assignment.competence ?? seen.competence ?? null,
          dueDate: assignment.dueDate ?? seen.dueDate ?? null,
          amountCents: seen.amountCents ?? null,
          files: [{ bytes: await store.read(item.storageKey), name: item.fileName }],
        },
        { notify: assignment.notify },
      )
  const document = filed?.document ?? null
  await removeItem(db, actor, item, document ? 'import.assigned' : 'import.assigned_duplicate', assignment.clientId)
  return { item, document, notified: filed?.notified ?? 0 }
}

/** Removes an item from the queue without filing it (its bytes stay in the store). */
export async function dropQueueItem(db: Db, actor: Actor, ref: string | number): Promise<QueueItem> {
  assertAccountant(actor, 'drop queued imports')
  const item = await getQueueItem(db, ref)
  await removeItem(db, actor, item, 'import.dropped', null)
  return item
}

async function removeItem(db: Db, actor: AccountantActor, item: QueueItem, action: string, clientId: number | null) {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('import_queue').where('id', '=', item.id).execute()
    await recordEvent(trx, {
      actor,
      action,
      clientId,
      details: { item: item.id, file: item.fileName, pages: item.pages, reason: item.reason },
    })
  })
}

/** True when one of the client's documents already has a file with these bytes. */
export async function clientHasFile(db: Db, clientId: number, sha256: string): Promise<boolean> {
  const row = await db
    .selectFrom('attachments')
    .innerJoin('documents', 'documents.id', 'attachments.document_id')
    .select('attachments.id')
    .where('documents.client_id', '=', clientId)
    .where('attachments.sha256', '=', sha256)
    .where('documents.expired_at', 'is', null)
    .executeTakeFirst()
  return row !== undefined
}

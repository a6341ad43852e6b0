import { assertAccountant, type Actor } from '../actors.js'
import { parseCategory, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { preparedQuery } from '../db/prepared.js'
import { GoneError, NotFoundError, ValidationError } from '../errors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import { logDocumentEvent } from '../access-log/chain/document-events.js'
import type { FileStore } from '../storage/file-store.js'
import { storeFiles, type FileInput, type StoredInput } from './document-files.js'
import type { AttachmentsTable, DocumentsTable } from '../db/tables.js'
import { localDate, nowIso, realDate } from '../time.js'
import { cursorAfter, orderStretches, titleSearch, type DocumentSort } from './list-order.js'
import { listPageRows, type DocumentFilter } from './list-page.js'
import { checkPlainText, collapseSpaces } from '../text-input.js'

/** One file of a document (docs/rules.md#data). */
export interface Attachment {
  id: number
  documentId: number
  fileName: string
  mediaType: string
  size: number
  sha256: string
  /** Key in the FileStore; read files by this, never by a path from a request. */
  storageKey: string
}

/** A document the firm sent a client, with its files. */
export interface Document {
  id: number
  clientId: number
  clientName: string
  clientTaxId: string
  title: string
  category: Category
  competence: string | null
  dueDate: string | null
  /** Amount of a guide in centavos (from `confi docs import`), or null. */
  amountCents: number | null
  createdAt: string
  createdBy: string
  attachments: Attachment[]
}

export interface NewDocument {
  clientId: number
  title: string
  category: Category | string
  competence?: string | null
  dueDate?: string | null
  amountCents?: number | null
  /** Its files: local paths, bytes or streams (./document-files.ts). */
  files: FileInput[]
}

/** Throws unless `value` is a competence `YYYY-MM` naming a real month. */
export function parseCompetence(value: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(value.trim())
  const month = match ? Number(match[2]) : 0
  if (!match || month < 1 || month > 12 || Number(match[1]) < 1900) {
    throw new ValidationError(
      `competence '${value}' is not valid: use YYYY-MM with a real month, for example 2026-10`,
    )
  }
  return match[0]
}

/** Throws unless `value` is a real calendar date `YYYY-MM-DD`. */
export function parseDueDate(value: string): string {
  const date = realDate(value)
  if (!date || Number(date.slice(0, 4)) < 1900) {
    throw new ValidationError(
      `due date '${value}' is not valid: use YYYY-MM-DD with a real date, for example 2026-11-20`,
    )
  }
  return date
}

function parseAmountCents(value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`amount ${value} is not valid: give whole centavos, 0 or more`)
  }
  return value
}

function parseTitle(value: string): string {
  const title = checkPlainText(collapseSpaces(value), 'title')
  if (title === '' || title.length > 200) {
    throw new ValidationError(`the title must have 1 to 200 characters, not ${title.length}`)
  }
  return title
}

/** A new document checked and its files stored durably: what `insertDocument` writes. */
export interface PreparedDocument {
  clientId: number
  title: string
  category: Category
  competence: string | null
  dueDate: string | null
  amountCents: number | null
  files: StoredInput[]
  createdBy: string
}

/**
 * Checks a new document and stores its files. Everything is checked before anything is written;
 * the files are durable in the store before the rows that point at them can commit, so a crash
 * leaves either no document or a complete one (a stored file without a row is harmless content).
 */
export async function prepareDocument(db: Db, store: FileStore, actor: Actor, input: NewDocument): Promise<PreparedDocument> {
  assertAccountant(actor, 'add documents')
  const title = parseTitle(input.title)
  const category = parseCategory(input.category)
  const competence = input.competence ? parseCompetence(input.competence) : null
  const dueDate = input.dueDate ? parseDueDate(input.dueDate) : null
  const amountCents = parseAmountCents(input.amountCents)
  if (input.files.length === 0) throw new ValidationError('a document needs at least one file')
  await assertClientExists(db, input.clientId)
  const files = await storeFiles(store, input.files)
  const createdBy = await actorLabel(db, actor)
  return { clientId: input.clientId, title, category, competence, dueDate, amountCents, files, createdBy }
}

/** Writes a prepared document's rows and its event inside the caller's transaction; returns its id. */
export async function insertDocument(trx: Db, actor: Actor, document: PreparedDocument): Promise<number> {
  await assertClientExists(trx, document.clientId)
  const row = await trx
    .insertInto('documents')
    .values({
      client_id: document.clientId,
      title: document.title,
      category: document.category,
      competence: document.competence,
      due_date: document.dueDate,
      amount_cents: document.amountCents,
      created_at: nowIso(),
      created_by: document.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const documentId = Number(row.id)
  await trx
    .insertInto('attachments')
    .values(
      document.files.map((file) => ({
        document_id: documentId,
        file_name: file.name,
        media_type: file.mediaType,
        size: file.stored.size,
        sha256: file.stored.sha256,
        storage_key: file.stored.key,
      })),
    )
    .execute()
  // What became visible, with each file's SHA-256, signed into the chain with the document
  // (docs/rules.md#access-log-integrity): the firm cannot swap a file after delivery unseen.
  await logDocumentEvent(trx, 'document.published', documentId)
  await recordEvent(trx, {
    actor,
    action: 'document.added',
    clientId: document.clientId,
    details: { documentId, title: document.title, files: document.files.length },
  })
  return documentId
}

/**
 * Adds a document with its files (prepareDocument, then its rows in one transaction). Filing
 * that also queues the client's notification e-mails is core/mail's `fileDocument`.
 */
export async function addDocument(db: Db, store: FileStore, actor: Actor, input: NewDocument): Promise<Document> {
  const prepared = await prepareDocument(db, store, actor, input)
  const id = await db.transaction().execute((trx) => insertDocument(trx, actor, prepared))
  return getDocument(db, id)
}

async function assertClientExists(db: Db, clientId: number): Promise<void> {
  const row = await db.selectFrom('clients').select('id').where('id', '=', clientId).executeTakeFirst()
  if (!row) throw new NotFoundError(`no client with id ${clientId}: see 'confi clients list'`)
}

export type DocumentRow = Omit<DocumentsTable, 'id' | 'expired_at' | 'expired_reason' | 'files_removed_at'> & { id: number; client_name: string; client_tax_id: string }

/** A `selectDocuments` row as a Document. */
export function toDocument(row: DocumentRow, attachments: Attachment[]): Document {
  return {
    id: Number(row.id),
    clientId: Number(row.client_id),
    clientName: row.client_name,
    clientTaxId: row.client_tax_id,
    title: row.title,
    category: row.category,
    competence: row.competence,
    dueDate: row.due_date,
    amountCents: row.amount_cents === null ? null : Number(row.amount_cents),
    createdAt: row.created_at,
    createdBy: row.created_by,
    attachments,
  }
}

function toAttachment(row: Omit<AttachmentsTable, 'id'> & { id: number }): Attachment {
  return {
    id: Number(row.id),
    documentId: Number(row.document_id),
    fileName: row.file_name,
    mediaType: row.media_type,
    size: Number(row.size),
    sha256: row.sha256,
    storageKey: row.storage_key,
  }
}

/** Documents joined with their client's name and tax id (for queries in this folder). */
export function selectDocuments(db: Db) {
  return db
    .selectFrom('documents')
    .innerJoin('clients', 'clients.id', 'documents.client_id')
    .selectAll('documents')
    .select(['clients.name as client_name', 'clients.tax_id as client_tax_id'])
}

/** A document's files as columns of a left join on `attachments` (null when it has none). */
export const ATTACHMENT_COLUMNS = [
  'attachments.id as attachment_id',
  'attachments.file_name as attachment_file_name',
  'attachments.media_type as attachment_media_type',
  'attachments.size as attachment_size',
  'attachments.sha256 as attachment_sha256',
  'attachments.storage_key as attachment_storage_key',
] as const

// Every download runs it: compiled once (core/db/prepared.ts).
const documentWithFilesQuery = preparedQuery(1, (db: Db, id: number) =>
  selectDocuments(db)
    .leftJoin('attachments', 'attachments.document_id', 'documents.id')
    .select(ATTACHMENT_COLUMNS)
    .where('documents.id', '=', id)
    .orderBy('attachments.id'),
)

/** The files of these documents, by document id. */
export async function attachmentsOf(db: Db, documentIds: number[]): Promise<Map<number, Attachment[]>> {
  const byDocument = new Map<number, Attachment[]>()
  if (documentIds.length === 0) return byDocument
  const rows = await db
    .selectFrom('attachments')
    .selectAll()
    .where('document_id', 'in', documentIds)
    .orderBy('id')
    .execute()
  for (const row of rows) {
    const attachment = toAttachment(row)
    const list = byDocument.get(attachment.documentId) ?? []
    list.push(attachment)
    byDocument.set(attachment.documentId, list)
  }
  return byDocument
}

/**
 * The document with this id and its files, in one query (every portal view and download reads
 * one); NotFoundError otherwise.
 */
export async function getDocument(db: Db, id: number): Promise<Document> {
  const rows = await documentWithFilesQuery(db, id)
  if (rows.length === 0) throw new NotFoundError(`no document with id ${id}: see 'confi docs list'`)
  if (rows[0].expired_at) throw expiredError(id, rows[0].expired_at, rows[0].expired_reason)
  return toDocument(rows[0], joinedAttachments(rows[0].id, rows))
}

/** A row of a document left-joined with its files through ATTACHMENT_COLUMNS. */
type JoinedAttachmentRow = {
  attachment_id: number | null
  attachment_file_name: string | null
  attachment_media_type: string | null
  attachment_size: number | null
  attachment_sha256: string | null
  attachment_storage_key: string | null
}

/** The files of document `documentId` from its rows selected with ATTACHMENT_COLUMNS, in order. */
export function joinedAttachments(documentId: number, rows: readonly JoinedAttachmentRow[]): Attachment[] {
  const attachments: Attachment[] = []
  for (const row of rows) {
    // A document without files still has its one row, with nulls for the attachment.
    if (row.attachment_id == null) continue
    attachments.push(
      toAttachment({
        id: row.attachment_id,
        document_id: documentId,
        file_name: row.attachment_file_name!,
        media_type: row.attachment_media_type!,
        size: row.attachment_size!,
        sha256: row.attachment_sha256!,
        storage_key: row.attachment_storage_key!,
      }),
    )
  }
  return attachments
}

/**
 * The refusal for a document whose retention ended (docs/privacy.md): its row is a tombstone, its
 * files are gone. The portal answers 410 with its own pt-BR sentence (reason document_expired).
 */
export function expiredError(id: number, at: string, reason: string | null): GoneError {
  return new GoneError(
    `document ${id} was removed by the retention policy on ${at.slice(0, 10)}${reason ? ` (${reason})` : ''}: its files are no longer kept`,
    { reason: 'document_expired' },
  )
}

/** A document from a reference typed by a person (its id). */
export async function resolveDocument(db: Db, ref: string | number): Promise<Document> {
  const value = String(ref).trim()
  if (!/^\d{1,15}$/.test(value)) {
    throw new ValidationError(`'${ref}' is not a document id: give the number shown by 'confi docs list'`)
  }
  return getDocument(db, Number(value))
}

/** One attachment of one document; NotFoundError when it belongs to another document. */
export async function getAttachment(db: Db, documentId: number, attachmentId: number): Promise<Attachment> {
  const row = await db
    .selectFrom('attachments')
    .selectAll()
    .where('id', '=', attachmentId)
    .where('document_id', '=', documentId)
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`document ${documentId} has no file with id ${attachmentId}`)
  return toAttachment(row)
}

export interface DocumentQuery {
  /**
   * The clients whose documents may be listed: the ids the caller may see (the portal passes the
   * session user's companies), or 'all' (accountants). Required, so forgetting it cannot list
   * every client's documents.
   */
  clientIds: readonly number[] | 'all'
  /** The categories the caller may see (a collaborator's visibility); absent: all. */
  categories?: readonly Category[]
  /** Filters chosen by the person (checked: an unknown category is a ValidationError). */
  category?: Category | string
  competence?: string
  /** Words that must all appear in the title, ignoring case and accents. */
  q?: string
  /** Default `newest`. */
  sort?: DocumentSort
  /** The `nextCursor` of the previous page (of the same sort order). */
  after?: string | null
  /** The day that splits the due order into upcoming and past; default: today in the firm's zone. */
  today?: string
  /** Page size, 1 to 500 (default 50). */
  limit?: number
}

export interface DocumentPage {
  items: Document[]
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null
}

/** Documents in a sort order (list-order.ts), one keyset page at a time. */
export async function listDocuments(db: Db, query: DocumentQuery): Promise<DocumentPage> {
  const limit = query.limit ?? 50
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new ValidationError(`page size ${limit} is not valid: use 1 to 500`)
  }
  if (query.clientIds !== 'all' && query.clientIds.length === 0) return { items: [], nextCursor: null }
  if (query.categories && query.categories.length === 0) return { items: [], nextCursor: null }
  const sort = query.sort ?? 'newest'
  const category = query.category ? parseCategory(query.category) : null
  const competence = query.competence ? parseCompetence(query.competence) : null
  const search = titleSearch(query.q)
  const filter: DocumentFilter = (select) => {
    if (category) select = select.where('documents.category', '=', category)
    if (competence) select = select.where('documents.competence', '=', competence)
    for (const condition of search) select = select.where(condition)
    return select
  }
  const stretches = orderStretches(sort, query.after ?? null, query.today ?? localDate())
  const rows = await listPageRows(db, { clientIds: query.clientIds, categories: query.categories, filter, stretches, limit: limit + 1 })
  const page = rows.slice(0, limit)
  const attachments = await attachmentsOf(db, page.map((r) => Number(r.id)))
  const items = page.map((row) => toDocument(row, attachments.get(Number(row.id)) ?? []))
  const last = items[items.length - 1]
  const nextCursor = rows.length > limit && last ? cursorAfter(sort, last) : null
  return { items, nextCursor }
}

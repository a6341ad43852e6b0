import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { link, mkdir, open, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { assertAccountant, type Actor } from '../actors.js'
import { appendInTransaction } from '../access-log/chain/append.js'
import { parseCategory, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import type { FileStore } from '../storage/file-store.js'
import { unwritable } from '../storage/durable-files.js'
import { checkPlainText } from '../text-input.js'
import { nowIso } from '../time.js'
import type { FiscalModel } from './fiscal-xml.js'
import { UPLOAD_ACCEPTED, UPLOAD_DOWNLOADED, UPLOAD_REJECTED } from './log-kinds.js'
import { queueAnswerMails } from './mail.js'
import { settleRequestForUpload } from '../requests/decisions.js'

// The firm's side of uploads (`confi inbox`): what clients sent, their files (the firm's download
// is logged, upload.downloaded), and the firm's decision, told to the client by e-mail.

export type UploadStatus = 'received' | 'accepted' | 'rejected'
export const UPLOAD_STATUSES: readonly UploadStatus[] = ['received', 'accepted', 'rejected']

/** What an NF-e, NFC-e or CT-e says, as upload_files.fiscal keeps it (docs/uploads.md). */
export interface FiscalFields {
  /** The 44-character access key. */
  key: string
  model: FiscalModel
  /** CNPJ or CPF of the issuer. */
  issuer: string
  /** CNPJ, CPF or foreign id of the recipient; null when the note names none. */
  recipient: string | null
  /** AAAA-MM-DD, as the issuer wrote it. */
  issued_on: string
  total_cents: number
}

/** How people name each model. */
export const FISCAL_MODEL_NAMES: Readonly<Record<FiscalModel, string>> = { nfe: 'NF-e', nfce: 'NFC-e', cte: 'CT-e' }

export interface UploadFile {
  id: number
  name: string
  mediaType: string
  size: number
  sha256: string
  /** What an NF-e, NFC-e or CT-e XML says, or null. */
  fiscal: FiscalFields | null
  /** Why an XML could not be read as a fiscal document, or null. */
  note: string | null
}

export interface InboxUpload {
  id: number
  clientId: number
  clientName: string
  clientTaxId: string
  requestId: number | null
  requestTitle: string | null
  category: Category | null
  note: string | null
  status: UploadStatus
  statusNote: string | null
  statusAt: string | null
  statusBy: string | null
  sender: { id: number; username: string; name: string }
  createdAt: string
  files: UploadFile[]
}

export interface InboxFilter {
  /** Local date `AAAA-MM-DD` in the firm's time zone is turned into an instant by the caller. */
  since?: string
  clientId?: number
  status?: UploadStatus
  limit?: number
}

function baseQuery(db: Db) {
  return db
    .selectFrom('uploads')
    .innerJoin('clients', 'clients.id', 'uploads.client_id')
    .innerJoin('client_users', 'client_users.id', 'uploads.user_id')
    .leftJoin('requests', 'requests.id', 'uploads.request_id')
    .select([
      'uploads.id', 'uploads.client_id', 'clients.name as client_name', 'clients.tax_id', 'uploads.request_id',
      'requests.title as request_title', 'uploads.category', 'uploads.note', 'uploads.status', 'uploads.status_note',
      'uploads.status_at', 'uploads.status_by', 'uploads.user_id', 'client_users.username', 'client_users.name as user_name',
      'uploads.created_at',
    ])
}

type UploadRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>

async function withFiles(db: Db, rows: UploadRow[]): Promise<InboxUpload[]> {
  if (rows.length === 0) return []
  const files = await db
    .selectFrom('upload_files')
    .select(['id', 'upload_id', 'file_name', 'media_type', 'size', 'sha256', 'fiscal', 'note'])
    .where('upload_id', 'in', rows.map((r) => Number(r.id)))
    .orderBy('id')
    .execute()
  return rows.map((r) => ({
    id: Number(r.id),
    clientId: Number(r.client_id),
    clientName: r.client_name,
    clientTaxId: r.tax_id,
    requestId: r.request_id === null ? null : Number(r.request_id),
    requestTitle: r.request_title,
    category: r.category,
    note: r.note,
    status: r.status,
    statusNote: r.status_note,
    statusAt: r.status_at,
    statusBy: r.status_by,
    sender: { id: Number(r.user_id), username: r.username, name: r.user_name },
    createdAt: r.created_at,
    files: files
      .filter((f) => Number(f.upload_id) === Number(r.id))
      .map((f) => ({
        id: Number(f.id),
        name: f.file_name,
        mediaType: f.media_type,
        size: Number(f.size),
        sha256: f.sha256,
        fiscal: f.fiscal === null ? null : (JSON.parse(f.fiscal) as FiscalFields),
        note: f.note,
      })),
  }))
}

/** Uploads, newest first, with their files: `limit` of them (1000 when not given, never more). */
export async function listInbox(db: Db, filter: InboxFilter = {}): Promise<InboxUpload[]> {
  let query = baseQuery(db).orderBy('uploads.id', 'desc').limit(Math.min(filter.limit ?? 1000, 1000))
  if (filter.since !== undefined) query = query.where('uploads.created_at', '>=', filter.since)
  if (filter.clientId !== undefined) query = query.where('uploads.client_id', '=', filter.clientId)
  if (filter.status !== undefined) query = query.where('uploads.status', '=', filter.status)
  return withFiles(db, await query.execute())
}

/** One upload with its files; NotFoundError when there is none. */
export async function getInboxUpload(db: Db, id: number): Promise<InboxUpload> {
  const row = await baseQuery(db).where('uploads.id', '=', id).executeTakeFirst()
  if (!row) throw new NotFoundError(`no upload with id ${id}: see 'confi inbox list'`)
  return (await withFiles(db, [row]))[0]
}

export function parseUploadStatus(value: string): UploadStatus {
  if (!(UPLOAD_STATUSES as readonly string[]).includes(value)) {
    throw new ValidationError(`status '${value}' is not valid: use ${UPLOAD_STATUSES.join(', ')}`)
  }
  return value as UploadStatus
}

/** A name in `dir` not taken yet: `name`, else `name (2).ext`, `name (3).ext`... */
function freeName(name: string, taken: Set<string>): string {
  const dot = name.lastIndexOf('.')
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, '']
  let candidate = name
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`
  taken.add(candidate.toLowerCase())
  return candidate
}

/**
 * Writes the files of upload `id` into `dir` (created if missing), never over an existing file
 * (a taken name gets ` (2)`), and logs the firm's download (upload.downloaded) before the first
 * byte is written, as the portal logs a client's download. Returns the paths written.
 */
export async function saveUploadFiles(db: Db, store: FileStore, actor: Actor, id: number, dir: string): Promise<{ upload: InboxUpload; paths: string[] }> {
  assertAccountant(actor, 'download what clients sent')
  const upload = await getInboxUpload(db, id)
  try {
    // A folder made here is the firm's alone (0700): its file names are the client's; an
    // existing folder keeps the mode the firm gave it.
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw unwritable('the folder', dir, error, 'output_file')
  }
  const taken = new Set((await readdir(dir)).map((n) => n.toLowerCase()))
  const keys = await db.selectFrom('upload_files').select(['id', 'storage_key']).where('upload_id', '=', id).orderBy('id').execute()
  await db.transaction().execute((trx) =>
    appendInTransaction(trx, [
      { kind: UPLOAD_DOWNLOADED, clientId: upload.clientId, details: { upload_id: id, file_ids: upload.files.map((f) => f.id) } },
    ]),
  )
  const paths: string[] = []
  for (const file of upload.files) {
    const path = join(dir, freeName(file.name, taken))
    const key = keys.find((k) => Number(k.id) === file.id)!.storage_key
    await writeNew(path, store, key)
    paths.push(path)
  }
  return { upload, paths }
}

// Written under a temporary name and linked into place: a name that appeared meanwhile is never
// overwritten (link fails), and a half-written file never has the final name.
async function writeNew(path: string, store: FileStore, key: string): Promise<void> {
  const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`
  try {
    await pipeline(store.open(key), createWriteStream(temp, { flags: 'wx', mode: 0o600 }))
    const handle = await open(temp, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    await link(temp, path)
  } catch (error) {
    throw unwritable('the file', path, error, 'output_file')
  } finally {
    await unlink(temp).catch(() => {})
  }
}

async function decide(
  db: Db,
  actor: Actor,
  id: number,
  decision: { status: 'accepted'; category: Category } | { status: 'rejected'; reason: string },
): Promise<{ upload: InboxUpload; mails: number }> {
  assertAccountant(actor, 'accept or reject what clients sent')
  const mails = await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('uploads').select(['client_id', 'request_id', 'status']).where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFoundError(`no upload with id ${id}: see 'confi inbox list'`)
    if (row.status !== 'received') throw new ConflictError(`upload ${id} is already ${row.status}`)
    const accepted = decision.status === 'accepted'
    await trx
      .updateTable('uploads')
      .set({
        status: decision.status,
        status_note: accepted ? null : decision.reason,
        category: accepted ? decision.category : undefined,
        status_at: nowIso(),
        status_by: actor.label,
      })
      .where('id', '=', id)
      .execute()
    await appendInTransaction(trx, [
      accepted
        ? { kind: UPLOAD_ACCEPTED, clientId: Number(row.client_id), details: { upload_id: id, category: decision.category } }
        : { kind: UPLOAD_REJECTED, clientId: Number(row.client_id), details: { upload_id: id } },
    ])
    if (row.request_id !== null) {
      await settleRequestForUpload(trx, Number(row.request_id), {
        decision: decision.status,
        uploadId: id,
        actor,
        reason: accepted ? null : decision.reason,
      })
    }
    return queueAnswerMails(trx, id, actor.label)
  })
  return { upload: await getInboxUpload(db, id), mails }
}

/** The firm accepts upload `id` and files it under `category`; the client's people are told. */
export async function acceptUpload(db: Db, actor: Actor, id: number, category: string) {
  return decide(db, actor, id, { status: 'accepted', category: parseCategory(category) })
}

/** The firm rejects upload `id`, saying why; its request (if any) reopens; the client's people are told. */
export async function rejectUpload(db: Db, actor: Actor, id: number, reason: string) {
  const text = checkPlainText(reason.trim(), 'reason')
  if (text === '' || text.length > 500) throw new ValidationError('the reason must have 1 to 500 characters: say what to send instead')
  return decide(db, actor, id, { status: 'rejected', reason: text })
}

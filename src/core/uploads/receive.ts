import type { Readable } from 'node:stream'
import { clientUser } from '../actors.js'
import { appendInTransaction } from '../access-log/chain/append.js'
import { CATEGORIES, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { ConflictError, ValidationError } from '../errors.js'
import type { FileStore } from '../storage/file-store.js'
import { nowIso } from '../time.js'
import { readFiscalXml, type FiscalXml } from './fiscal-xml.js'
import { readUploadBody, type IncomingFile, type UploadLimits } from './intake.js'
import { UPLOAD_RECEIVED } from './log-kinds.js'
import type { FiscalFields } from './inbox.js'
import { queueInboxMail } from './mail.js'
import { refusals } from './refusals.js'
import { markRequestReceived } from '../requests/answers.js'
import { activeSender, assertCovers, requestToAnswer } from './senders.js'

// A client's upload (docs/uploads.md): its files are stored durably while the body streams in,
// then its rows, its upload.received log row, the request's new state and the firm's e-mail are
// written in one transaction. A refusal or a cut connection before the commit leaves no row and no
// log row; whole files already stored stay in the content-addressed store, named by no row.

/** Where a request came from, committed (never in clear) in its log row. */
export interface SenderOrigin {
  ip: string | null
  port: number | null
  userAgent: string | null
}

export interface NewUpload {
  userId: number
  /** The request the files answer; null for "Enviar ao escritório" (company and category in the form). */
  requestId: number | null
  body: Readable
  contentType: string | undefined
  origin: SenderOrigin
  /** Tests pass their own; by default the NF-e reader (fiscal-xml.ts). */
  readFiscal?: FiscalReader
}

/** The form's fields besides the files. */
export const UPLOAD_FIELDS = { note: 'nota', company: 'empresa', category: 'categoria' } as const

/** Longest note, in characters. */
export const MAX_NOTE_CHARS = 2000

// XML files up to this size are read as NF-e; a bigger one is no NF-e and stays a plain file.
const MAX_FISCAL_XML_BYTES = 5 * 1024 * 1024

/** The firm's limits (firm_options: upload_max_mb, upload_max_files). */
export async function uploadLimits(db: Db): Promise<UploadLimits> {
  const row = await db.selectFrom('firm_options').select(['upload_max_mb', 'upload_max_files']).where('id', '=', 1).executeTakeFirst()
  return {
    maxFileBytes: Number(row?.upload_max_mb ?? 25) * 1024 * 1024,
    maxFiles: Number(row?.upload_max_files ?? 20),
  }
}

function parseNote(value: string | undefined): string | null {
  const note = (value ?? '').replace(/\r\n?/g, '\n').trim()
  if (note === '') return null
  if (note.length > MAX_NOTE_CHARS) throw new ValidationError(`the note is longer than ${MAX_NOTE_CHARS} characters`)
  // Line breaks are the only control characters a note may hold (docs/rules.md#text-input).
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(note)) {
    throw new ValidationError('the note contains an invisible control character: type it again without it', { reason: 'control_character' })
  }
  return note
}

function parseTarget(fields: Map<string, string>, defaultClientId: number): { clientId: number; category: Category } {
  const company = fields.get(UPLOAD_FIELDS.company) ?? String(defaultClientId)
  if (!/^\d{1,10}$/.test(company)) throw new ValidationError(`'${company}' is not a company id`)
  const category = fields.get(UPLOAD_FIELDS.category) ?? ''
  if (!(CATEGORIES as readonly string[]).includes(category)) {
    throw new ValidationError(`category '${category}' is not valid: use ${CATEGORIES.join(', ')}`)
  }
  return { clientId: Number(company), category: category as Category }
}

const OPEN_TO_FILES = new Set(['open', 'received'])

function assertOpen(request: { id: number; status: string }): void {
  if (!OPEN_TO_FILES.has(request.status)) {
    throw new ConflictError(`request ${request.id} is ${request.status}: it takes no more files`)
  }
}

/**
 * Receives an upload from a client user: checks who sends before reading a byte, stores the files
 * as they arrive, then commits everything in one transaction (re-checking who sends inside it).
 * Returns the new upload's id.
 */
export async function receiveUpload(db: Db, store: FileStore, input: NewUpload): Promise<number> {
  const { user, scope } = await activeSender(db, input.userId)
  if (input.requestId !== null) assertOpen(await requestToAnswer(db, scope, input.requestId))
  const incoming = await readUploadBody(store, input.body, input.contentType, await uploadLimits(db))
  const note = parseNote(incoming.fields.get(UPLOAD_FIELDS.note))
  const general = input.requestId === null ? parseTarget(incoming.fields, user.clientId) : null
  const fiscal = await readFiscalFiles(store, incoming.files, input.readFiscal ?? readFiscalXml)
  return db.transaction().execute(async (trx) => {
    const now = await activeSender(trx, input.userId)
    let target: { clientId: number; category: Category }
    if (input.requestId !== null) {
      const request = await requestToAnswer(trx, now.scope, input.requestId)
      assertOpen(request)
      target = request
    } else {
      target = general!
      assertCovers(now.scope, target, `company ${target.clientId} for this user`)
    }
    const uploadId = await writeUpload(trx, { ...target, requestId: input.requestId, note }, incoming.files, fiscal, now.user, input.origin)
    if (input.requestId !== null) {
      await markRequestReceived(trx, input.requestId, { uploadId, userId: user.id, actor: clientUser(user.id) })
    }
    await queueInboxMail(trx, uploadId)
    return uploadId
  })
}

/** What an XML says as an NF-e, NFC-e or CT-e (fiscal-xml.ts). */
export type FiscalReader = (bytes: Buffer) => FiscalXml
export type Fiscal = FiscalXml | null

async function readFiscalFiles(store: FileStore, files: IncomingFile[], reader: FiscalReader): Promise<Fiscal[]> {
  const readings: Fiscal[] = []
  for (const file of files) {
    const isXml = file.mediaType === 'application/xml' && file.stored.size <= MAX_FISCAL_XML_BYTES
    readings.push(isXml ? reader(await store.read(file.stored.key)) : null)
  }
  return readings
}

/**
 * Writes, inside `trx`, an upload whose files are stored: its rows (claiming each NF-e key) and
 * its upload.received log row. Returns its id. The caller queues the firm's e-mail.
 */
export async function writeUpload(
  trx: Db,
  upload: { clientId: number; category: Category; requestId: number | null; note: string | null },
  files: IncomingFile[],
  fiscal: Fiscal[],
  user: { id: number; username: string; name: string },
  origin: SenderOrigin,
): Promise<number> {
  const uploadId = await insertRows(trx, { ...upload, userId: user.id }, files, fiscal)
  await logReceived(trx, uploadId, upload, user, origin)
  return uploadId
}

async function insertRows(
  trx: Db,
  upload: { clientId: number; category: Category; requestId: number | null; userId: number; note: string | null },
  files: IncomingFile[],
  fiscal: Fiscal[],
): Promise<number> {
  const { id } = await trx
    .insertInto('uploads')
    .values({
      client_id: upload.clientId,
      request_id: upload.requestId,
      user_id: upload.userId,
      category: upload.category,
      note: upload.note,
      status: 'received',
      status_note: null,
      status_at: null,
      status_by: null,
      log_id: null,
      created_at: nowIso(),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const uploadId = Number(id)
  for (const [i, file] of files.entries()) {
    const reading = fiscal[i]
    const { id: fileId } = await trx
      .insertInto('upload_files')
      .values({
        upload_id: uploadId,
        file_name: file.name,
        media_type: file.mediaType,
        size: file.stored.size,
        sha256: file.stored.sha256,
        storage_key: file.stored.key,
        fiscal: reading?.ok ? JSON.stringify(fiscalJson(reading)) : null,
        note: reading && !reading.ok ? reading.note : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    if (reading?.ok) await claimFiscalKey(trx, upload.clientId, reading.key, Number(fileId), file.name)
  }
  return uploadId
}

function fiscalJson(reading: Extract<Fiscal, { ok: true }>): FiscalFields {
  return {
    key: reading.key,
    model: reading.model,
    issuer: reading.issuer,
    recipient: reading.recipient,
    issued_on: reading.issuedOn,
    total_cents: reading.totalCents,
  }
}

// The same access key twice for one client is one document sent twice: refused, the whole upload
// with it (the person removes that file and sends the rest).
async function claimFiscalKey(trx: Db, clientId: number, key: string, fileId: number, fileName: string): Promise<void> {
  const taken = await trx
    .selectFrom('received_fiscal_keys')
    .select('upload_file_id')
    .where('client_id', '=', clientId)
    .where('access_key', '=', key)
    .executeTakeFirst()
  if (taken) throw refusals.alreadyReceived(fileName)
  await trx.insertInto('received_fiscal_keys').values({ client_id: clientId, access_key: key, upload_file_id: fileId }).execute()
}

async function logReceived(
  trx: Db,
  uploadId: number,
  target: { clientId: number; category: Category; requestId: number | null },
  user: { id: number; username: string; name: string },
  origin: SenderOrigin,
): Promise<void> {
  const files = await trx
    .selectFrom('upload_files')
    .select(['id', 'media_type', 'size', 'sha256'])
    .where('upload_id', '=', uploadId)
    .orderBy('id')
    .execute()
  const [[logId]] = await appendInTransaction(trx, [
    {
      kind: UPLOAD_RECEIVED,
      clientId: target.clientId,
      user: { id: user.id, username: user.username, name: user.name },
      channel: 'portal',
      ip: origin.ip,
      port: origin.port,
      userAgent: origin.userAgent,
      details: {
        upload_id: uploadId,
        request_id: target.requestId,
        category: target.category,
        files: files.map((f) => ({ file_id: Number(f.id), media_type: f.media_type, size: Number(f.size), sha256: f.sha256 })),
      },
    },
  ])
  await trx.updateTable('uploads').set({ log_id: logId }).where('id', '=', uploadId).execute()
}

import type { Readable } from 'node:stream'
import { CATEGORIES, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { ValidationError } from '../errors.js'
import type { FileStore } from '../storage/file-store.js'
import { assertOpen, commitUpload, type SenderOrigin, type UploadCommitter } from './commit.js'
import { readFiscalXml, type FiscalXml } from './fiscal-xml.js'
import { readUploadBody, type IncomingFile, type UploadLimits } from './intake.js'
import { activeSender, requestToAnswer } from './senders.js'

// A client's upload (docs/uploads.md): its files are stored durably while the body streams in,
// then its rows, its upload.received log row, the request's new state and the firm's e-mail are
// written in one transaction (commit.ts). A refusal or a cut connection before the commit leaves
// no row and no log row; whole files already stored stay in the content-addressed store, named by
// no row.

export type { SenderOrigin }

export interface NewUpload {
  userId: number
  /** The request the files answer; null for "Enviar ao escritório" (company and category in the form). */
  requestId: number | null
  body: Readable
  contentType: string | undefined
  origin: SenderOrigin
  /** Tests pass their own; by default the NF-e reader (fiscal-xml.ts). */
  readFiscal?: FiscalReader
  /** Who writes the rows: by default this process (commitUpload); `confi serve` on SQLite, a thread. */
  commit?: UploadCommitter
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
  const job = { userId: user.id, requestId: input.requestId, general, note, files: incoming.files, fiscal, origin: input.origin }
  return input.commit ? input.commit(job) : commitUpload(db, job)
}

/** What an XML says as an NF-e, NFC-e or CT-e (fiscal-xml.ts). */
export type FiscalReader = (bytes: Buffer) => FiscalXml

async function readFiscalFiles(store: FileStore, files: IncomingFile[], reader: FiscalReader): Promise<(FiscalXml | null)[]> {
  const readings: (FiscalXml | null)[] = []
  for (const file of files) {
    const isXml = file.mediaType === 'application/xml' && file.stored.size <= MAX_FISCAL_XML_BYTES
    readings.push(isXml ? reader(await store.read(file.stored.key)) : null)
  }
  return readings
}

import { clientUser } from '../actors.js'
import { appendInTransaction } from '../access-log/chain/append.js'
import type { Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { ConflictError } from '../errors.js'
import { nowIso } from '../time.js'
import type { FiscalXml } from './fiscal-xml.js'
import type { IncomingFile } from './intake.js'
import { UPLOAD_RECEIVED } from './log-kinds.js'
import { queueInboxMail } from './mail.js'
import { refusals } from './refusals.js'
import { markRequestReceived } from '../requests/answers.js'
import { activeSender, assertCovers, requestToAnswer } from './senders.js'

// The second half of receiving an upload (docs/uploads.md): its files are already stored durably
// (receive.ts), so its rows, its upload.received log row, the request's new state and the firm's
// e-mail are written here in one transaction. Plain data in, an id out: `confi serve` on SQLite
// runs it in a thread of its own (commit-thread.ts), so the commit's fsync never stalls the portal.

/** Where a request came from, committed (never in clear) in its log row. */
export interface SenderOrigin {
  ip: string | null
  port: number | null
  userAgent: string | null
}

/** An upload whose files are stored and whose form is read, ready to be written. */
export interface UploadJob {
  userId: number
  requestId: number | null
  /** Company and category from the form; null when the upload answers a request (the request's). */
  general: { clientId: number; category: Category } | null
  note: string | null
  files: IncomingFile[]
  /** What each file says as an NF-e, NFC-e or CT-e (null: not read as one), in file order. */
  fiscal: (FiscalXml | null)[]
  origin: SenderOrigin
}

/** Writes an upload's rows; the same function runs in the commit thread. Resolves the upload's id. */
export type UploadCommitter = (job: UploadJob) => Promise<number>

const OPEN_TO_FILES = new Set(['open', 'received'])

export function assertOpen(request: { id: number; status: string }): void {
  if (!OPEN_TO_FILES.has(request.status)) {
    throw new ConflictError(`request ${request.id} is ${request.status}: it takes no more files`)
  }
}

/** Writes `job` in one transaction, re-checking who sends (and the request's state) inside it. */
export function commitUpload(db: Db, job: UploadJob): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const uploadId = await writeJob(trx, job)
    await queueInboxMail(trx, uploadId)
    return uploadId
  })
}

/**
 * Writes `job`'s rows inside `trx`, re-checking who sends (and the request's state): everything
 * of commitUpload but the firm's e-mail, which a group of uploads queues once (commit-group.ts).
 */
export async function writeJob(trx: Db, job: UploadJob): Promise<number> {
  const now = await activeSender(trx, job.userId)
  let target: { clientId: number; category: Category }
  if (job.requestId !== null) {
    const request = await requestToAnswer(trx, now.scope, job.requestId)
    assertOpen(request)
    target = request
  } else {
    target = job.general!
    assertCovers(now.scope, target, `company ${target.clientId} for this user`)
  }
  const uploadId = await writeUpload(trx, { ...target, requestId: job.requestId, note: job.note }, job.files, job.fiscal, now.user, job.origin)
  if (job.requestId !== null) {
    await markRequestReceived(trx, job.requestId, { uploadId, userId: job.userId, actor: clientUser(job.userId) })
  }
  return uploadId
}

type Fiscal = FiscalXml | null

/**
 * Writes, inside `trx`, an upload whose files are stored: its rows (claiming each NF-e key) and
 * its upload.received log row. Returns its id. The caller queues the firm's e-mail (a guide's
 * proof of payment is written so, with its paid mark, by payment-proof.ts).
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

function fiscalJson(reading: Extract<Fiscal, { ok: true }>) {
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

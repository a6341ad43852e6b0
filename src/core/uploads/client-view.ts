import type { Readable } from 'node:stream'
import { CATEGORIES, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { NotFoundError } from '../errors.js'
import { getUser } from '../identity/users.js'
import { scopeOfFreshUser } from '../identity/visibility.js'
import type { FileStore } from '../storage/file-store.js'
import { getInboxUpload, type InboxUpload } from './inbox.js'
import { activeSender, assertCovers } from './senders.js'

// What a client's user sees of uploads in the portal: the page of one upload, with its history,
// and its files to download again. The same people who may send may see (senders.ts); a pending
// or disabled user sees nothing.

/** One step of an upload's history, oldest first. */
export interface UploadStep {
  action: 'sent' | 'accepted' | 'rejected'
  at: string
  /** Who sent (a name), or null for the firm. */
  by: string | null
  /** The firm's reason for a rejection. */
  note: string | null
}

export interface ClientUpload {
  upload: InboxUpload
  history: UploadStep[]
}

async function visibleUpload(db: Db, userId: number, uploadId: number): Promise<InboxUpload> {
  const { scope } = await activeSender(db, userId)
  let upload: InboxUpload
  try {
    upload = await getInboxUpload(db, uploadId)
  } catch {
    throw new NotFoundError(`no upload ${uploadId}`)
  }
  assertCovers(scope, upload, `upload ${uploadId}`)
  return upload
}

/** Upload `uploadId` as user `userId` sees it; NotFoundError when it may not. */
export async function getUploadForUser(db: Db, userId: number, uploadId: number): Promise<ClientUpload> {
  const upload = await visibleUpload(db, userId, uploadId)
  const history: UploadStep[] = [{ action: 'sent', at: upload.createdAt, by: upload.sender.name, note: upload.note }]
  if (upload.status !== 'received' && upload.statusAt) {
    history.push({ action: upload.status, at: upload.statusAt, by: null, note: upload.statusNote })
  }
  return { upload, history }
}

/** A file of an upload for user `userId` to download again: its bytes and how to name them. */
export async function openUploadFileForUser(
  db: Db,
  store: FileStore,
  userId: number,
  uploadId: number,
  fileId: number,
): Promise<{ name: string; mediaType: string; size: number; body: Readable }> {
  const upload = await visibleUpload(db, userId, uploadId)
  const file = upload.files.find((f) => f.id === fileId)
  if (!file) throw new NotFoundError(`no file ${fileId} in upload ${uploadId}`)
  const row = await db.selectFrom('upload_files').select('storage_key').where('id', '=', fileId).executeTakeFirstOrThrow()
  return { name: file.name, mediaType: file.mediaType, size: file.size, body: store.open(row.storage_key) }
}

/** The companies and categories user `userId` may send files for ("Enviar ao escritório"). */
export async function sendChoices(db: Db, userId: number): Promise<{ companies: { id: number; name: string }[]; categories: Category[] }> {
  const user = await getUser(db, userId)
  if (user.status !== 'active') return { companies: [], categories: [] }
  const scope = await scopeOfFreshUser(db, user)
  const rows = scope.clientIds.length
    ? await db.selectFrom('clients').select(['id', 'name']).where('id', 'in', scope.clientIds).orderBy('name').execute()
    : []
  return {
    companies: rows.map((r) => ({ id: Number(r.id), name: r.name })),
    categories: CATEGORIES.filter((c) => scope.categories.includes(c)),
  }
}

import type { Readable } from 'node:stream'
import type { AccessChannel, AccessEntry } from '../access-log/chain/row.js'
import type { Db } from '../db/database.js'
import { NotFoundError, UnavailableError } from '../errors.js'
import type { ClientUser } from '../identity/users.js'
import type { FileStore } from '../storage/file-store.js'
import type { VisibleScope } from '../identity/visibility.js'
import { decideDeliveryAccess, findVisibleDocument, type AccessViewer, type DeliveryAccess } from './access.js'
import { visibleLookedUp, type DocumentLookup } from './download-lookup.js'
import type { Attachment, Document } from './documents.js'
import { openZip, type ZipEntry } from './zip.js'

// Serving a file, in the order that keeps the access log true (docs/rules.md#access-log-integrity):
// decide access, check the stored bytes are there, commit the access-log row, and only then hand
// the adapter the bytes to send. No byte leaves unlogged; a refused or failed request logs nothing.

/** Appends access-log rows (core's group-commit writer); resolves once the row is committed. */
export interface AccessRecorder {
  record(entry: AccessEntry): Promise<unknown>
}

/** What serving a download reads and writes. */
export interface DownloadDeps {
  db: Db
  store: FileStore
  accessLog: AccessRecorder
}

/** The request's part of an access-log row: who, from where, with what browser. */
export type AccessOrigin = Pick<AccessEntry, 'user' | 'ip' | 'port' | 'userAgent'>

/** Who downloads a ZIP and through what (channel, link): each file's row takes the rest from its entry. */
export type ZipAccess = Omit<AccessEntry, 'documentId' | 'attachmentId' | 'clientId' | 'action'>

/** One download asked for by a request. */
export interface DownloadRequest {
  /** The file's id; null when the request named none that can exist (answered like an unknown file). */
  attachmentId: number | null
  origin: AccessOrigin
  /**
   * The request came from another site carrying the user's session: another site can send a
   * logged-in browser to a download URL, which would log a download nobody asked for
   * (docs/security.md, "Cross-site downloads"). Such a request is answered `confirm`.
   */
  crossSite: boolean
}

/** The bytes to send, committed to the access log, and the facts of their headers. */
export interface FileDownload {
  kind: 'file'
  body: Buffer | Readable
  fileName: string
  /** The stored media type, or application/octet-stream when none is known. */
  mediaType: string
  size: number
}

/** Nothing read, nothing logged: the person must ask again from this site (a button). */
export interface DownloadConfirmation {
  kind: 'confirm'
  fileName: string
}

/** A delivery link's refusal, as core's `decideDeliveryAccess` decided it; nothing logged. */
export interface DownloadRefusal {
  kind: 'refused'
  access: Exclude<DeliveryAccess, 'open'>
}

/** Commits one access-log row, or throws UnavailableError so nothing is served unlogged (503). */
export async function commitAccess(accessLog: AccessRecorder, entry: AccessEntry): Promise<void> {
  try {
    await accessLog.record(entry)
  } catch (error) {
    throw new UnavailableError(`the access log could not be written: ${(error as Error).message}`)
  }
}

/**
 * A file of a document in the client area (channel `portal`): the user must be allowed to see the
 * document (another client's is the same NotFoundError as one that does not exist). `read` is
 * the user's scope and this document as read with the session in this same request
 * (./download-lookup.ts), which saves the queries; never pass one kept across requests.
 */
export async function serveAreaDownload(
  deps: DownloadDeps,
  user: ClientUser,
  documentId: number,
  request: DownloadRequest,
  read?: { scope: VisibleScope; document: DocumentLookup },
): Promise<FileDownload | DownloadConfirmation> {
  const document = read ? visibleLookedUp(read.scope, read.document) : await findVisibleDocument(deps.db, user, documentId)
  if (!document || document.id !== documentId) throw new NotFoundError(`no document ${documentId} for this user`)
  return serveFile(deps, document, request, 'portal', null)
}

/** A file of a delivery link's document, for whoever core's delivery rule lets open the link. */
export async function serveDeliveryDownload(
  deps: DownloadDeps,
  link: { delivery: { id: number; channel: AccessChannel }; document: Document },
  viewer: AccessViewer | null,
  request: DownloadRequest,
): Promise<FileDownload | DownloadConfirmation | DownloadRefusal> {
  const access = await decideDeliveryAccess(deps.db, viewer, link.document)
  if (access !== 'open') return { kind: 'refused', access }
  return serveFile(deps, link.document, request, link.delivery.channel, link.delivery.id)
}

// Files up to this size are read whole: faster than a stream for the usual PDFs (docs/performance.md).
const READ_WHOLE_LIMIT = 1024 * 1024

async function serveFile(
  deps: DownloadDeps,
  document: Document,
  request: DownloadRequest,
  channel: AccessChannel,
  deliveryId: number | null,
): Promise<FileDownload | DownloadConfirmation> {
  const attachment = document.attachments.find((a) => a.id === request.attachmentId)
  if (!attachment) throw new NotFoundError(`document ${document.id} has no file ${request.attachmentId}`)
  if (request.crossSite) return { kind: 'confirm', fileName: attachment.fileName }
  const body = await readStored(deps.store, attachment)
  const entry: AccessEntry = {
    documentId: document.id,
    attachmentId: attachment.id,
    clientId: document.clientId,
    channel,
    deliveryId,
    action: 'download',
    ...request.origin,
  }
  try {
    await commitAccess(deps.accessLog, entry)
  } catch (error) {
    if (!Buffer.isBuffer(body)) body.destroy()
    throw error
  }
  const mediaType = attachment.mediaType || 'application/octet-stream'
  return { kind: 'file', body, fileName: attachment.fileName, mediaType, size: attachment.size }
}

// Read first: a missing file serves nothing and logs nothing.
async function readStored(store: FileStore, attachment: Attachment): Promise<Buffer | Readable> {
  try {
    if (attachment.size <= READ_WHOLE_LIMIT) return await store.read(attachment.storageKey)
    // A stream opens lazily: check the file is there before the access is logged.
    if (!(await store.stat(attachment.storageKey))) throw new Error('the stored file is missing')
    return store.open(attachment.storageKey)
  } catch (error) {
    throw new UnavailableError(`attachment ${attachment.id} cannot be read: ${(error as Error).message}`)
  }
}

/**
 * An archive of a ZIP plan's entries (./zip.ts) for a client-area user: one download row per
 * file (channel `portal`), all committed before the archive's first byte.
 */
export async function serveZipDownload(
  deps: Pick<DownloadDeps, 'store' | 'accessLog'>,
  entries: readonly ZipEntry[],
  fileName: string,
  request: { access: ZipAccess; crossSite: boolean },
): Promise<FileDownload | DownloadConfirmation> {
  if (request.crossSite) return { kind: 'confirm', fileName }
  const zip = await openZip(deps.store, entries, (entry) =>
    commitAccess(deps.accessLog, {
      documentId: entry.documentId,
      attachmentId: entry.attachment.id,
      clientId: entry.clientId,
      action: 'download',
      ...request.access,
    }),
  )
  return { kind: 'file', body: zip.stream, fileName, mediaType: 'application/zip', size: zip.size }
}

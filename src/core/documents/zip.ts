import type { PassThrough, Readable } from 'node:stream'
import yazl from 'yazl'
import type { Db } from '../db/database.js'
import { UnavailableError } from '../errors.js'
import type { FileStore } from '../storage/file-store.js'
import { listDocuments, type Attachment, type Document, type DocumentQuery } from './documents.js'

// "Baixar todos (ZIP)" (docs/decisions.md, "Client area: due soon, new, accesses, ZIP"): which
// files go in, under which names, within which bounds, and the order that keeps the access log
// true: every file's download row is committed before the first byte of the archive.

export const ZIP_MAX_FILES = 200
export const ZIP_MAX_BYTES = 200 * 1024 * 1024

/** One file of an archive. */
export interface ZipEntry {
  documentId: number
  clientId: number
  attachment: Attachment
  /** Its path inside the archive, unique ignoring case. */
  path: string
  mtime: Date
}

export type ZipPlan =
  | { ok: true; entries: ZipEntry[]; bytes: number }
  /** `atLeast`: the counting stopped at the bound, so `files` and `bytes` are lower bounds. */
  | { ok: false; reason: 'empty' | 'too_many_files' | 'too_large'; files: number; bytes: number; atLeast: boolean }

/** The files of one document, named as they were sent. */
export function planDocumentZip(document: Document): ZipPlan {
  return plan([document], () => '', false)
}

/**
 * The files of every document a list query finds (the caller's scope and filters, every page),
 * one folder per document, under one folder per company when the list spans several.
 */
export async function planListZip(db: Db, query: Omit<DocumentQuery, 'after' | 'limit'>): Promise<ZipPlan> {
  // Every document has a file, so one document past the bound proves the list too big.
  const page = await listDocuments(db, { ...query, limit: ZIP_MAX_FILES + 1 })
  const companies = new Set(page.items.map((d) => d.clientId)).size
  const folders = new Set<string>()
  const folderOf = new Map<number, string>()
  for (const document of page.items) {
    const base = companies > 1 ? `${safeSegment(document.clientName)}/${safeSegment(document.title)}` : safeSegment(document.title)
    const folder = unique(base, folders, false)
    folderOf.set(document.id, `${folder}/`)
  }
  return plan(page.items, (document) => folderOf.get(document.id)!, page.nextCursor !== null)
}

function plan(documents: Document[], folderOf: (document: Document) => string, truncated: boolean): ZipPlan {
  const entries: ZipEntry[] = []
  const paths = new Set<string>()
  let bytes = 0
  for (const document of documents) {
    for (const attachment of document.attachments) {
      bytes += attachment.size
      entries.push({
        documentId: document.id,
        clientId: document.clientId,
        attachment,
        path: unique(`${folderOf(document)}${safeSegment(attachment.fileName)}`, paths),
        mtime: new Date(document.createdAt),
      })
    }
  }
  const files = entries.length
  if (files === 0) return { ok: false, reason: 'empty', files, bytes, atLeast: false }
  if (truncated || files > ZIP_MAX_FILES) return { ok: false, reason: 'too_many_files', files, bytes, atLeast: truncated }
  if (bytes > ZIP_MAX_BYTES) return { ok: false, reason: 'too_large', files, bytes, atLeast: false }
  return { ok: true, entries, bytes }
}

// A path segment every unzip tool accepts on every system: no separators, no characters Windows
// refuses, no leading or trailing dots or spaces, never `..`.
function safeSegment(value: string): string {
  const cleaned = value
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '')
    .slice(0, 120)
  return cleaned || 'documento'
}

// "nome.pdf", then "nome (2).pdf": unique ignoring case, as case-insensitive file systems see it.
function unique(path: string, taken: Set<string>, extension = true): string {
  const dot = path.lastIndexOf('.')
  const cut = extension && dot > path.lastIndexOf('/') + 1 ? dot : path.length
  let candidate = path
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${path.slice(0, cut)} (${n})${path.slice(cut)}`
  taken.add(candidate.toLowerCase())
  return candidate
}

export interface OpenedZip {
  stream: Readable
  /** The exact length of the archive (files are stored, not compressed, so it is known up front). */
  size: number
}

/**
 * Opens an archive of a plan's entries. Every stored file is checked first (a missing one serves
 * nothing and logs nothing); then `record` is awaited for every entry (the caller commits each
 * file's download row), and only then is the first byte produced. Files are stored uncompressed:
 * PDFs and XML archives are compressed already, and the exact size can be sent up front.
 */
export async function openZip(
  store: FileStore,
  entries: readonly ZipEntry[],
  record: (entry: ZipEntry) => Promise<void>,
): Promise<OpenedZip> {
  for (const entry of entries) {
    if (!(await store.stat(entry.attachment.storageKey))) {
      throw new UnavailableError(`attachment ${entry.attachment.id} cannot be read: the stored file is missing`)
    }
  }
  await Promise.all(entries.map(record))
  const zip = new yazl.ZipFile()
  const output = zip.outputStream as PassThrough
  // yazl leaves errors of its input streams unhandled: end the download instead (the client sees
  // a failed download, never a truncated archive that looks whole), and close the open file when
  // the client goes away.
  let current: Readable | null = null
  const fail = (error: Error) => output.destroy(error)
  zip.on('error', fail)
  output.once('close', () => current?.destroy())
  for (const entry of entries) {
    const options = { compress: false, size: entry.attachment.size, mtime: entry.mtime }
    // Lazy: one file open at a time, however many the archive holds.
    zip.addReadStreamLazy(entry.path, options, (done) => {
      current = store.open(entry.attachment.storageKey).once('error', fail)
      done(null, current)
    })
  }
  const size = await new Promise<number>((resolve) => {
    const end = zip.end as unknown as (options: object, sized: (size: number) => void) => void
    end.call(zip, {}, resolve)
  })
  return { stream: output, size }
}

/** The name of an archive's download: the title, safe for every file system, and `.zip`. */
export function zipFileName(title: string): string {
  return `${safeSegment(title)}.zip`
}

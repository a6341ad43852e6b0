import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'
import type { FileStore, StoredFile } from '../storage/file-store.js'
import { acceptedMediaType, cleanFileName, HEAD_BYTES } from './file-types.js'
import { refusals, UploadRefusedError } from './refusals.js'

// Reading an upload's multipart body as it arrives (docs/uploads.md): each file goes through to
// the content-addressed store while it streams, never whole in memory; only its first HEAD_BYTES
// are held, to decide its type. The store writes a temporary file, fsyncs it and renames it into
// place, so a file cut half way leaves nothing under a key (core/storage/disk/disk-store.ts).

/** The form field that carries the files (`<input type=file name=arquivos multiple>`). */
export const FILES_FIELD = 'arquivos'

export interface UploadLimits {
  maxFileBytes: number
  maxFiles: number
}

/** A file of an upload, stored durably; no row names it yet. */
export interface IncomingFile {
  name: string
  mediaType: string
  stored: StoredFile
}

/** `fileOptional`: a form whose file may be left out (a guide's proof of payment): no file is no refusal. */
export interface ReadOptions {
  fileOptional?: boolean
}

export interface IncomingUpload {
  /** The form's text fields (the last value of each name). */
  fields: Map<string, string>
  files: IncomingFile[]
}

// Text fields are short (a note, an id, a category): anything longer is not a person typing.
const MAX_FIELD_BYTES = 16 * 1024
const MAX_FIELDS = 20

/**
 * Reads the multipart body `body` (its Content-Type header `contentType`), storing each file of
 * FILES_FIELD in `store` in order. Refuses (UploadRefusedError) a file over the limit, of a type
 * not accepted or empty, more files than allowed, no file, and a body that ends early or breaks
 * (the connection cut): then no file of the body is named anywhere, and a partial one is gone.
 */
export async function readUploadBody(
  store: FileStore,
  body: Readable,
  contentType: string | undefined,
  limits: UploadLimits,
  options: ReadOptions = {},
): Promise<IncomingUpload> {
  let parser: busboy.Busboy
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? '')) throw refusals.malformed('not multipart/form-data')
  try {
    parser = busboy({
      headers: { 'content-type': contentType ?? '' },
      defParamCharset: 'utf8',
      limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES },
    })
  } catch (error) {
    throw refusals.malformed((error as Error).message)
  }
  const fields = new Map<string, string>()
  const stores: Promise<IncomingFile | null>[] = []
  // The first refusal wins; later files are read past (so the body is consumed), never stored.
  let refusal: UploadRefusedError | null = null
  const refuse = (error: UploadRefusedError) => {
    refusal ??= error
  }
  parser.on('field', (name, value, info) => {
    if (info.valueTruncated || info.nameTruncated) refuse(refusals.malformed(`field ${name} is too long`))
    else fields.set(name, value)
  })
  parser.on('file', (name, stream, info) => {
    // A cut connection errors the file stream too; the body's own failure reports it (below).
    stream.on('error', () => {})
    if (refusal || name !== FILES_FIELD) {
      stream.resume()
      return
    }
    stores.push(storeOne(store, stream, info.filename ?? '', limits).catch((error: unknown) => {
      if (error instanceof UploadRefusedError) refuse(error)
      stream.resume()
      throw error
    }))
  })
  parser.on('filesLimit', () => refuse(refusals.tooMany(limits.maxFiles)))
  parser.on('fieldsLimit', () => refuse(refusals.malformed('too many fields')))
  let broken: unknown = null
  try {
    await pipeline(body, parser)
  } catch (error) {
    broken = error
  }
  const outcomes = await Promise.allSettled(stores)
  if (broken) throw refusal ?? refusals.interrupted()
  if (refusal) throw refusal
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')
  if (failed) throw failed.reason
  const files = outcomes.map((o) => (o as PromiseFulfilledResult<IncomingFile | null>).value).filter((f) => f !== null)
  if (files.length === 0 && !options.fileOptional) throw refusals.noFile()
  return { fields, files }
}

// Stores one file, deciding its type from its first bytes before any of it reaches the store's
// final name. Resolves null for the empty part a form sends when no file was chosen.
async function storeOne(store: FileStore, stream: Readable & { truncated?: boolean }, rawName: string, limits: UploadLimits): Promise<IncomingFile | null> {
  let mediaType: string | null = null
  let mine: UploadRefusedError | null = null
  const displayName = () => cleanFileName(rawName, mediaType ?? '')
  async function* checked(): AsyncGenerator<Buffer> {
    const head: Buffer[] = []
    let held = 0
    let limited = false
    stream.once('limit', () => {
      limited = true
    })
    // destroyOnReturn false: a refused file is read past (stream.resume), so the form goes on.
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
      const bytes = chunk as Buffer
      if (limited) break
      if (mediaType === null) {
        head.push(bytes)
        held += bytes.length
        if (held < HEAD_BYTES) continue
        mediaType = decide(Buffer.concat(head))
        yield* head.splice(0)
        continue
      }
      yield bytes
    }
    if (limited || stream.truncated) throw (mine = refusals.tooLarge(displayName(), limits.maxFileBytes))
    if (mediaType === null && held > 0) {
      mediaType = decide(Buffer.concat(head))
      yield* head.splice(0)
    }
  }
  function decide(head: Buffer): string {
    const type = acceptedMediaType(head)
    if (type === null) throw (mine = refusals.type(cleanFileName(rawName, '')))
    return type
  }
  let stored: StoredFile
  try {
    stored = await store.put(Readable.from(checked()))
  } catch (error) {
    // The store words a failing source in its own terms; the refusal made here says what it was.
    throw mine ?? error
  }
  if (stored.size === 0) {
    if (rawName === '') return null
    throw refusals.empty(displayName())
  }
  return { name: displayName(), mediaType: mediaType!, stored }
}

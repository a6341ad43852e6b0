import type { Readable } from 'node:stream'
import type { FileStore, StoredFile } from '../storage/file-store.js'
import { acceptedMediaType, cleanFileName, HEAD_BYTES } from './file-types.js'
import { boundaryOf, readMultipart, type FileSink } from './multipart.js'
import { refusals, UploadRefusedError } from './refusals.js'

// Reading an upload's multipart body as it arrives (docs/uploads.md, multipart.ts): each file goes
// through to the content-addressed store while it streams, never whole in memory; only its first HEAD_BYTES
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

type StoreOutcome = { ok: true; file: IncomingFile | null } | { ok: false; error: unknown }

// Text fields are short (a note, an id, a category): anything longer is not a person typing.
const MAX_FIELD_BYTES = 16 * 1024
const MAX_FIELDS = 20
// A whole body may hold the most files allowed at the most bytes each, plus this for its fields
// and multipart framing. A refused body is read past up to there, so that a browser still sending
// a file too large reads the refusal page; past it no form a person sent goes on, reading stops
// and the portal closes the connection (docs/decisions.md, "An upload's body is read so far and no
// further").
const FORM_OVERHEAD_BYTES = 1024 * 1024

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
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? '')) throw refusals.malformed('not multipart/form-data')
  try {
    boundaryOf(contentType!)
  } catch (error) {
    throw refusals.malformed((error as Error).message)
  }
  const fields = new Map<string, string>()
  // Each file's outcome, never a rejected promise: a file refused early (too large, wrong type)
  // settles while the rest of the body still streams in, long before the outcomes are awaited
  // below, and an unhandled rejection in that gap ends the whole `confi serve` process.
  const stores: Promise<StoreOutcome>[] = []
  // The first refusal wins; later files are read past (so the body is consumed), never stored.
  let refusal: UploadRefusedError | null = null
  const refuse = (error: UploadRefusedError) => {
    refusal ??= error
  }
  const bodyCap = limits.maxFiles * limits.maxFileBytes + FORM_OVERHEAD_BYTES
  // Ending early leaves the request open (destroyOnReturn: false), so the refusal can be answered.
  async function* bounded(): AsyncGenerator<Buffer> {
    let received = 0
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      received += chunk.length
      if (received > bodyCap) {
        refuse(refusals.uploadTooLarge(bodyCap))
        return
      }
      yield chunk
    }
  }
  let broken = false
  try {
    await readMultipart(bounded(), contentType!, { files: limits.maxFiles, fields: MAX_FIELDS, fieldBytes: MAX_FIELD_BYTES }, {
      field(name, value, truncated) {
        if (truncated) refuse(refusals.malformed(`field ${name} is too long`))
        else if (name !== undefined) fields.set(name, value)
      },
      file(part) {
        if (refusal || part.name !== FILES_FIELD) return null
        const { sink, stored } = storeOne(store, part.filename ?? '', limits)
        stores.push(
          stored.then(
            (file): StoreOutcome => ({ ok: true, file }),
            (error: unknown): StoreOutcome => {
              if (error instanceof UploadRefusedError) refuse(error)
              return { ok: false, error }
            },
          ),
        )
        return sink
      },
      limit(what) {
        refuse(what === 'files' ? refusals.tooMany(limits.maxFiles) : refusals.malformed('too many fields'))
      },
    })
  } catch {
    broken = true
  }
  const outcomes = await Promise.all(stores)
  // A refused body is read to its end (up to bodyCap): its text fields are known by now.
  const withFields = (error: UploadRefusedError) => Object.assign(error, { fields })
  if (broken) throw withFields(refusal ?? refusals.interrupted())
  if (refusal) throw withFields(refusal)
  const files: IncomingFile[] = []
  for (const outcome of outcomes) {
    if (!outcome.ok) throw outcome.error instanceof UploadRefusedError ? withFields(outcome.error) : outcome.error
    if (outcome.file) files.push(outcome.file)
  }
  if (files.length === 0 && !options.fileOptional) throw withFields(refusals.noFile())
  return { fields, files }
}

// Stores one file as its part streams in, deciding its type from its first bytes before any of it
// reaches the store (the first HEAD_BYTES wait in memory). Each chunk goes to the store's writer as
// the socket gave it (hashed and written once, docs/performance.md). `stored` resolves null for the
// empty part a form sends when no file was chosen. A refused file is dropped by the store (its
// temporary file goes) and the rest of its bytes are read past.
function storeOne(store: FileStore, rawName: string, limits: UploadLimits): { sink: FileSink; stored: Promise<IncomingFile | null> } {
  let mediaType: string | null = null
  let mine: Error | null = null
  const head: Buffer[] = []
  let size = 0
  const writer = store.writer()
  let settle!: (outcome: Promise<StoredFile>) => void
  const outcome = new Promise<StoredFile>((resolve) => (settle = resolve))
  const displayName = () => cleanFileName(rawName, mediaType ?? '')
  const fail = (error: Error) => {
    if (mine) return
    mine = error
    settle(
      writer.abort().then(() => {
        throw error
      }),
    )
  }
  const decide = (): boolean => {
    const type = acceptedMediaType(Buffer.concat(head))
    if (type === null) fail(refusals.type(cleanFileName(rawName, '')))
    else mediaType = type
    return type !== null
  }
  const sink: FileSink = {
    write(chunk) {
      if (mine) return
      size += chunk.length
      if (mediaType === null) {
        head.push(chunk)
        // The type is told before the size: a file both too large and of a type not accepted is
        // refused for its type, however the socket happened to cut its chunks.
        if (size < HEAD_BYTES && size <= limits.maxFileBytes) return
        if (!decide()) return
      }
      if (size > limits.maxFileBytes) return fail(refusals.tooLarge(displayName(), limits.maxFileBytes))
      if (head.length === 0) return writer.write(chunk)
      let wait: Promise<void> | void = undefined
      for (const bytes of head.splice(0)) wait = writer.write(bytes) ?? wait
      return wait
    },
    end() {
      if (mine) return
      if (mediaType === null && size > 0 && !decide()) return
      for (const bytes of head.splice(0)) void writer.write(bytes)
      settle(writer.end())
    },
    fail,
  }
  const stored = outcome.then((file): IncomingFile | null => {
    if (file.size === 0) {
      if (rawName === '') return null
      throw refusals.empty(displayName())
    }
    return { name: displayName(), mediaType: mediaType!, stored: file }
  })
  return { sink, stored }
}

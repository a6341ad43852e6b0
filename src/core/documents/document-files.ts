import { constants } from 'node:fs'
import { access, open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { Readable } from 'node:stream'
import { ValidationError } from '../errors.js'
import { putBytes, type FileStore, type StoredFile } from '../storage/file-store.js'
import { escapeUnsafe, stripUnsafe } from '../text-input.js'
import { detectMediaType } from './media-type.js'

// The files a document is filed with: a local path (`confi docs add`), bytes already in memory
// (`confi docs import`) or a stream. Each is stored durably in the content-addressed store before
// any row points at it, the same way whatever its source (docs/rules.md#durability).

/** One file of a new document; `name` is the file name clients see (for a path, default: its base name). */
export type FileInput =
  | { path: string; name?: string }
  | { bytes: Uint8Array; name: string }
  | { stream: Readable; name: string }

/** A file in the store, with what its attachment row records. */
export interface StoredInput {
  name: string
  mediaType: string
  stored: StoredFile
}

// How much of a file decides its media type (./media-type.ts).
const HEAD_BYTES = 4096

// The name is shown to clients and sent in Content-Disposition: no path, no control, bidi or
// separator characters (stripped: the name comes from a file, not from a person typing it).
function parseFileName(value: string): string {
  const name = stripUnsafe(value).trim()
  if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name) || name.length > 255) {
    throw new ValidationError(
      `file name '${escapeUnsafe(value)}' is not valid: use 1 to 255 characters without slashes`,
    )
  }
  return name
}

type CheckedInput =
  | { kind: 'path'; path: string; name: string; mediaType: string }
  | { kind: 'bytes'; bytes: Uint8Array; name: string; mediaType: string }
  | { kind: 'stream'; stream: Readable; name: string }

function emptyFile(what: string): ValidationError {
  return new ValidationError(`file ${what} is empty: attach a file with content`)
}

/** Checks one input as far as it can be before storing: a path fully, a stream by its name only. */
async function checkInput(file: FileInput): Promise<CheckedInput> {
  if ('path' in file) return checkPath(file)
  const name = parseFileName(file.name)
  if ('stream' in file) return { kind: 'stream', stream: file.stream, name }
  if (file.bytes.length === 0) throw emptyFile(name)
  const head = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, Math.min(file.bytes.length, HEAD_BYTES))
  return { kind: 'bytes', bytes: file.bytes, name, mediaType: detectMediaType(head, name) }
}

/** Checks one input file: exists, is a regular file, is readable and is not empty. */
async function checkPath(file: { path: string; name?: string }): Promise<CheckedInput> {
  const { path } = file
  let info
  try {
    info = await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ValidationError(`file ${path} does not exist: check the path`)
    }
    throw new ValidationError(`cannot read file ${path} (${code}): check its permissions`)
  }
  if (info.isDirectory()) {
    throw new ValidationError(`${path} is a directory: give the files inside it one by one`)
  }
  if (!info.isFile()) throw new ValidationError(`${path} is not a regular file`)
  try {
    await access(path, constants.R_OK)
  } catch {
    throw new ValidationError(`cannot read file ${path}: permission denied; check its permissions`)
  }
  if (info.size === 0) throw emptyFile(path)
  const name = parseFileName(file.name ?? basename(path))
  return { kind: 'path', path, name, mediaType: detectMediaType(await readHead(path), name) }
}

async function readHead(path: string): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw new ValidationError(
      `cannot read file ${path} (${(error as NodeJS.ErrnoException).code}): check its permissions`,
    )
  }
  try {
    const buffer = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

// Passes a stream's chunks on to the store, keeping its first bytes for the media type. Closing
// this early (the store failed) closes the source too.
async function* keepingHead(source: Readable, head: Buffer[]): AsyncGenerator<Buffer> {
  let kept = 0
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    if (kept < HEAD_BYTES) {
      head.push(bytes.subarray(0, HEAD_BYTES - kept))
      kept += head[head.length - 1].length
    }
    yield bytes
  }
}

async function storeInput(store: FileStore, file: CheckedInput): Promise<StoredInput> {
  if (file.kind === 'bytes') return { name: file.name, mediaType: file.mediaType, stored: await putBytes(store, file.bytes) }
  if (file.kind === 'path') {
    const stored = await store.put(file.path)
    // The file may have changed between the check and the copy; never keep an empty attachment.
    if (stored.size === 0) throw emptyFile(file.path)
    return { name: file.name, mediaType: file.mediaType, stored }
  }
  const head: Buffer[] = []
  const stored = await store.put(Readable.from(keepingHead(file.stream, head)))
  if (stored.size === 0) throw emptyFile(file.name)
  return { name: file.name, mediaType: detectMediaType(Buffer.concat(head), file.name), stored }
}

/**
 * Checks every file, then stores each durably, in order. Everything that can be checked before
 * writing is (a stream's emptiness only shows once read); a failure leaves no half-written file,
 * only whole files of the inputs stored before it, harmless content no row points at.
 */
export async function storeFiles(store: FileStore, files: readonly FileInput[]): Promise<StoredInput[]> {
  const checked: CheckedInput[] = []
  for (const file of files) checked.push(await checkInput(file))
  const stored: StoredInput[] = []
  for (const file of checked) stored.push(await storeInput(store, file))
  return stored
}

import { createRequire } from 'node:module'

// A streaming multipart/form-data reader for uploads (docs/decisions.md, "Upload speed: a
// multipart reader that searches boundaries natively"). busboy searched each byte of a file for
// the next boundary in JavaScript (about a third of an upload's CPU in `confi serve`); here
// Buffer.indexOf does it natively, and a file's bytes go on as views of the socket's own chunks,
// never copied. Part headers are read with busboy's own parsers (names, RFC 5987 file names,
// charsets), so a form reads exactly as it did.

interface BusboyUtils {
  parseContentType(value: string): { type: string; subtype: string; params: Record<string, string> } | undefined
  parseDisposition(value: string, decoder: unknown): { type: string; params: Record<string, string> } | undefined
  getDecoder(charset: string): unknown
  convertToUTF8(data: Buffer, charset: string, hint: number): string
  basename(path: string): string
}
const utils = createRequire(import.meta.url)('busboy/lib/utils.js') as BusboyUtils
const utf8 = utils.getDecoder('utf8')

export interface MultipartLimits {
  files: number
  fields: number
  fieldBytes: number
}

/** A file part, as its headers name it. */
export interface FilePart {
  name: string | undefined
  filename: string | undefined
  mimeType: string
}

/** Where a file part's bytes go, in order; a promise from `write` holds the reading back. */
export interface FileSink {
  write(chunk: Buffer): Promise<void> | void
  end(): void
  /** The body broke or ended before the part did. */
  fail(error: Error): void
}

export interface MultipartEvents {
  field(name: string | undefined, value: string, truncated: boolean): void
  /** A file part begins: a sink for its bytes, or null to read past them. */
  file(part: FilePart): FileSink | null
  /** More files (or fields) than the limits allow: told once; those parts are read past. */
  limit(what: 'files' | 'fields'): void
}

/** A body that is no well-formed multipart/form-data form (or that ended early). */
export class MultipartError extends Error {}

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')
// Longer part headers than this are no browser's.
const MAX_HEADER_BYTES = 16 * 1024
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** The boundary of a multipart/form-data Content-Type, or throws MultipartError. */
export function boundaryOf(contentType: string): string {
  const type = utils.parseContentType(contentType)
  const boundary = type?.type === 'multipart' && type.subtype === 'form-data' ? type.params.boundary : undefined
  if (typeof boundary !== 'string' || boundary === '') throw new MultipartError('Multipart: Boundary not found')
  return boundary
}

function parseHeaders(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>()
  let last: string | null = null
  for (const line of block.toString('latin1').split('\r\n')) {
    if (line === '') continue
    if ((line[0] === ' ' || line[0] === '\t') && last !== null) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`)
      continue
    }
    const colon = line.indexOf(':')
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : ''
    if (!TOKEN.test(name)) throw new MultipartError('Malformed part header')
    last = name
    // The first of a repeated header counts, as with busboy.
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim())
  }
  return headers
}

type Part = { kind: 'skip' } | { kind: 'file'; sink: FileSink } | { kind: 'field'; name: string | undefined; charset: string; chunks: Buffer[]; size: number; truncated: boolean }

/**
 * Reads the multipart body `body` (boundary from `contentType`), telling `events` of each field
 * and file part; resolves once the closing boundary was read and every sink ended. Throws
 * MultipartError for a malformed body or one that ends early (an open file's sink is failed first).
 */
export async function readMultipart(body: AsyncIterable<Buffer | string> | Iterable<Buffer>, contentType: string, limits: MultipartLimits, events: MultipartEvents): Promise<void> {
  const delimiter = Buffer.from(`\r\n--${boundaryOf(contentType)}`)
  // Before the first delimiter: the preamble; a body may open with the boundary, hence the CRLF.
  let state = 'preamble' as 'preamble' | 'after' | 'headers' | 'data' | 'end'
  let afterStep = 0
  let held: Buffer | null = CRLF
  let header: Buffer | null = null
  let part = { kind: 'skip' } as Part
  let files = 0
  let fields = 0
  const told = new Set<'files' | 'fields'>()
  const overLimit = (what: 'files' | 'fields'): Part => {
    if (!told.has(what)) events.limit(what)
    told.add(what)
    return { kind: 'skip' }
  }
  const waits: Promise<void>[] = []

  const data = (bytes: Buffer): void => {
    if (bytes.length === 0 || state !== 'data') return
    if (part.kind === 'file') {
      const wait = part.sink.write(bytes)
      if (wait) waits.push(wait)
    } else if (part.kind === 'field' && !part.truncated) {
      const room = limits.fieldBytes - part.size
      if (bytes.length > room) part.truncated = true
      const kept = bytes.length > room ? bytes.subarray(0, room) : bytes
      part.chunks.push(kept)
      part.size += kept.length
    }
  }

  const endPart = (): void => {
    if (state !== 'data') return
    if (part.kind === 'file') part.sink.end()
    else if (part.kind === 'field') events.field(part.name, utils.convertToUTF8(Buffer.concat(part.chunks), part.charset, 0), part.truncated)
    part = { kind: 'skip' }
  }

  const beginPart = (headers: Map<string, string>): Part => {
    const disposition = headers.has('content-disposition') ? utils.parseDisposition(headers.get('content-disposition')!, utf8) : undefined
    if (disposition?.type !== 'form-data') return { kind: 'skip' }
    const params = disposition.params ?? {}
    // An empty file name is none (busboy's reading: then only an octet-stream part is a file).
    const raw = params['filename*'] || params.filename || undefined
    const filename = raw === undefined ? undefined : utils.basename(raw)
    const type = headers.has('content-type') ? utils.parseContentType(headers.get('content-type')!) : undefined
    const mimeType = type ? `${type.type}/${type.subtype}` : 'text/plain'
    if (mimeType === 'application/octet-stream' || filename !== undefined) {
      if (files === limits.files) return overLimit('files')
      files += 1
      const sink = events.file({ name: params.name, filename, mimeType })
      return sink ? { kind: 'file', sink } : { kind: 'skip' }
    }
    if (fields === limits.fields) return overLimit('fields')
    fields += 1
    const charset = typeof type?.params?.charset === 'string' ? type.params.charset.toLowerCase() : 'utf8'
    return { kind: 'field', name: params.name, charset, chunks: [], size: 0, truncated: false }
  }

  // Reads one chunk; the bytes after a possible delimiter's start at its end wait for the next.
  const scan = (chunk: Buffer): void => {
    let at = 0
    while (at < chunk.length && state !== 'end') {
      if (state === 'preamble' || state === 'data') {
        const found = chunk.indexOf(delimiter, at)
        if (found !== -1) {
          data(chunk.subarray(at, found))
          endPart()
          state = 'after'
          afterStep = 0
          at = found + delimiter.length
          continue
        }
        const keep = heldTail(chunk, at, delimiter)
        data(chunk.subarray(at, keep))
        if (keep < chunk.length) held = chunk.subarray(keep)
        return
      }
      if (state === 'after') {
        at = afterDelimiter(chunk, at)
        continue
      }
      // Headers: up to the blank line (the CRLF that ended the delimiter's line is their start).
      const block: Buffer = Buffer.concat([header ?? CRLF, chunk.subarray(at, at + MAX_HEADER_BYTES + 4)])
      const end = block.indexOf(HEADER_END)
      if (end === -1) {
        if (block.length > MAX_HEADER_BYTES) throw new MultipartError('Malformed part header')
        header = block
        return
      }
      at += end + HEADER_END.length - (header ?? CRLF).length
      header = null
      part = beginPart(parseHeaders(block.subarray(2, end)))
      state = 'data'
    }
  }

  // After a delimiter: `--` closes the form; else optional blanks, then CRLF and a part's headers.
  const afterDelimiter = (chunk: Buffer, at: number): number => {
    const byte = chunk[at]
    if (afterStep === 0 && byte === 0x2d) afterStep = 1
    else if (afterStep === 1 && byte === 0x2d) state = 'end'
    else if (afterStep === 0 && (byte === 0x20 || byte === 0x09)) afterStep = 0
    else if (afterStep === 0 && byte === 0x0d) afterStep = 2
    else if (afterStep === 2 && byte === 0x0a) state = 'headers'
    else throw new MultipartError('Malformed part header')
    return at + 1
  }

  try {
    for await (const piece of body) {
      let chunk = typeof piece === 'string' ? Buffer.from(piece) : piece
      if (held) {
        chunk = Buffer.concat([held, chunk])
        held = null
      }
      scan(chunk)
      if (waits.length > 0) await Promise.all(waits.splice(0))
    }
    if (state !== 'end') throw new MultipartError('Unexpected end of form')
  } catch (error) {
    if (state === 'data' && part.kind === 'file') part.sink.fail(error as Error)
    throw error
  }
}

// Where the bytes that may begin a delimiter start at the end of `chunk` (from `from` on): the
// longest tail that is a proper prefix of the delimiter, or chunk.length when there is none.
function heldTail(chunk: Buffer, from: number, delimiter: Buffer): number {
  for (let start = Math.max(from, chunk.length - delimiter.length + 1); start < chunk.length; start++) {
    if (chunk[start] !== 0x0d) continue
    const tail = chunk.length - start
    if (chunk.compare(delimiter, 0, tail, start) === 0) return start
  }
  return chunk.length
}

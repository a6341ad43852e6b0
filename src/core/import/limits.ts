// What one file may cost to read: its streams decoded, its pages, the time. A PDF of 300 KB can
// inflate to gigabytes (a "compression bomb"); pdf.js would decode it whole, in memory, so the
// streams are measured here first with a capped inflate (docs/rules.md#import-of-guides).
import { constants, inflateSync } from 'node:zlib'

export interface ReadLimits {
  /** Sum of every stream's decoded size. */
  maxDecodedBytes: number
  maxPages: number
  maxMilliseconds: number
}

export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxDecodedBytes: 50 * 1024 * 1024,
  maxPages: 200,
  maxMilliseconds: 30_000,
})

/** "50 MB", "1.5 MB", "800 KB" */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`
  return `${Math.ceil(bytes / 1024)} KB`
}

// Filters that only shrink (or keep) their input are decoded to follow the chain; LZW and
// RunLength are counted at the most they can expand to (both are rare in today's PDFs).
const WORST_CASE: Record<string, number> = { LZWDecode: 2730, LZW: 2730, RunLengthDecode: 64, RL: 64 }

function asciiHex(data: Buffer): Buffer {
  const hex = data.toString('latin1').replace(/>[\s\S]*$/, '').replace(/[^0-9a-fA-F]/g, '')
  return Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex')
}

function ascii85(data: Buffer): Buffer {
  const text = data.toString('latin1').replace(/~>[\s\S]*$/, '').replace(/\s/g, '').replace(/^<~/, '')
  const out: number[] = []
  let group: number[] = []
  const flush = (n: number) => {
    while (group.length < 5) group.push(84)
    const value = group.reduce((acc, c) => acc * 85 + c, 0)
    for (let i = 3; i >= 4 - n; i--) out.push((value >>> (8 * i)) & 0xff)
    group = []
  }
  for (const char of text) {
    if (char === 'z' && group.length === 0) out.push(0, 0, 0, 0)
    else if (char >= '!' && char <= 'u') {
      group.push(char.charCodeAt(0) - 33)
      if (group.length === 5) flush(4)
    }
  }
  if (group.length > 1) flush(group.length - 1)
  return Buffer.from(out)
}

/** Inflates at most `cap` bytes; null when the stream would give more. */
function inflateCapped(data: Buffer, cap: number): Buffer | null {
  const options = { maxOutputLength: Math.max(1, cap + 1) }
  try {
    return inflateSync(data, options)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null
    // A damaged or truncated stream: pdf.js decodes what it can, so count what it can.
    try {
      return inflateSync(data, { ...options, finishFlush: constants.Z_SYNC_FLUSH })
    } catch (again) {
      return (again as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? null : Buffer.alloc(0)
    }
  }
}

/** The decoded size of one stream through its filters, or null when over `cap`. */
function decodedSize(data: Buffer, filters: readonly string[], cap: number): number | null {
  let current = data
  for (const filter of filters) {
    if (filter === 'FlateDecode' || filter === 'Fl') {
      const out = inflateCapped(current, cap)
      if (out === null) return null
      current = out
    } else if (filter === 'ASCIIHexDecode' || filter === 'AHx') current = asciiHex(current)
    else if (filter === 'ASCII85Decode' || filter === 'A85') current = ascii85(current)
    else {
      // Image codecs (DCT, JPX, CCITT, JBIG2) are not decoded to read text: their bytes count.
      const size = current.length * (WORST_CASE[filter] ?? 1)
      return size > cap ? null : size
    }
    if (current.length > cap) return null
  }
  return current.length
}

/**
 * Where the dictionary that ends just before `end` (its `>>`) begins, or -1; not looked for before
 * `floor` (the end of the stream before), so the scans of all streams together read the file once.
 */
function dictionaryStart(text: string, end: number, floor: number): number {
  let depth = 0
  for (let i = end; i > floor; i--) {
    if (text[i] === '>' && text[i - 1] === '>') {
      depth += 1
      i -= 1
    } else if (text[i] === '<' && text[i - 1] === '<') {
      depth -= 1
      if (depth === 0) return i - 1
      i -= 1
    }
  }
  return -1
}

/**
 * The total decoded size of the PDF's streams, or null as soon as it passes `cap`: memory stays
 * within the cap whatever the file holds. Every stream counts (content, fonts, object streams):
 * what pdf.js decodes to read text is among them.
 */
export function measureDecodedBytes(bytes: Uint8Array, cap: number): number | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const text = buffer.toString('latin1')
  const keyword = />>\s*stream\r?\n/g
  let total = 0
  // Where the stream before ends: a "stream" keyword before it is inside that stream's data.
  let floor = 0
  for (const match of text.matchAll(keyword)) {
    if (match.index < floor) continue
    const dataStart = match.index + match[0].length
    const start = dictionaryStart(text, match.index + 1, floor)
    const dictionary = start < 0 ? '' : text.slice(start, match.index + 2)
    const end = text.indexOf('endstream', dataStart)
    floor = end < 0 ? buffer.length : end
    const data = buffer.subarray(dataStart, floor)
    const filter = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dictionary)?.[1] ?? ''
    const filters = [...filter.matchAll(/\/([A-Za-z0-9]+)/g)].map((m) => m[1])
    const size = decodedSize(data, filters, cap - total)
    if (size === null) return null
    total += size
    if (total > cap) return null
  }
  return total
}

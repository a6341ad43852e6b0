import { extname } from 'node:path'
import { stripUnsafe } from '../text-input.js'

// What a client may send the firm (docs/uploads.md, "Accepted files"), decided by the first bytes
// of the file and never by its name: a renamed executable stays an executable and is refused.

/** How many first bytes decide a file's type (an XLSX's entry names sit in its first entries). */
export const HEAD_BYTES = 64 * 1024

/** The accepted types, as the refusal lists them to the person. */
export const ACCEPTED_TYPES = ['PDF', 'JPEG', 'PNG', 'HEIC', 'XML', 'OFX', 'CSV', 'XLSX'] as const

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

function startsWith(head: Buffer, bytes: number[], offset = 0): boolean {
  return head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b)
}

// ISO base media brands of HEIF/HEIC photos (iPhones send these).
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'])

function isHeic(head: Buffer): boolean {
  return head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp' && HEIF_BRANDS.has(head.toString('latin1', 8, 12))
}

function textStart(head: Buffer): string {
  let text = head.subarray(0, 512).toString('utf8')
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  return text.trimStart()
}

// Text a person or a bank's export wrote: no NUL or other control byte than tab and line ends
// (UTF-8 or Latin-1 letters are fine).
function isPlainText(head: Buffer): boolean {
  for (const byte of head) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) return false
  }
  return head.length > 0
}

function isCsv(head: Buffer): boolean {
  if (!isPlainText(head)) return false
  const firstLine = head.toString('latin1').split(/\r?\n/, 1)[0]
  return /[;,\t]/.test(firstLine)
}

/**
 * The media type of an accepted file from its first bytes (up to HEAD_BYTES; all of a smaller
 * file), or null when it is none of the accepted types.
 */
export function acceptedMediaType(head: Buffer): string | null {
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (isHeic(head)) return 'image/heic'
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    const names = head.toString('latin1')
    return names.includes('[Content_Types].xml') && names.includes('xl/') ? XLSX : null
  }
  if (!isPlainText(head)) return null
  const text = textStart(head)
  // OFX 1 is SGML with a header; OFX 2 is XML with an <?OFX ...?> instruction after the declaration.
  if (text.startsWith('OFXHEADER:') || /^<\?xml[^>]*\?>\s*<\?OFX\b/.test(text)) return 'application/x-ofx'
  if (text.startsWith('<?xml') || /^<[A-Za-z]/.test(text)) return 'application/xml'
  return isCsv(head) ? 'text/csv' : null
}

/** The usual extension of an accepted type, added to a name that has another one. */
const EXTENSIONS: Record<string, string[]> = {
  'application/pdf': ['.pdf'],
  'image/jpeg': ['.jpg', '.jpeg'],
  'image/png': ['.png'],
  'image/heic': ['.heic', '.heif'],
  'application/x-ofx': ['.ofx'],
  'application/xml': ['.xml'],
  'text/csv': ['.csv', '.txt'],
  [XLSX]: ['.xlsx'],
}

/** Longest file name kept, in characters (the end, with its extension, is kept). */
export const MAX_NAME_CHARS = 120

/**
 * The name a sent file is kept and shown under: the last path segment only (browsers and phones
 * send `C:\...\x.pdf` or bare names), control, bidi and separator characters removed, at most
 * MAX_NAME_CHARS, and an extension matching its content (a PDF called "extrato" becomes
 * "extrato.pdf"). Never empty.
 */
export function cleanFileName(raw: string, mediaType: string): string {
  const last = raw.split(/[/\\]/).pop() ?? ''
  // Characters Windows refuses in a name become '_': the firm saves these files (`confi inbox get`).
  let name = stripUnsafe(last).replace(/[<>:"|?*]/g, '_').replace(/\s+/g, ' ').trim().replace(/^\.+/, '')
  const extensions = EXTENSIONS[mediaType] ?? []
  const ext = extname(name).toLowerCase()
  if (!extensions.includes(ext)) name = `${name || 'arquivo'}${extensions[0] ?? ''}`
  if (name.length > MAX_NAME_CHARS) {
    const keep = extname(name)
    name = name.slice(0, MAX_NAME_CHARS - keep.length).trimEnd() + keep
  }
  return name === '' ? 'arquivo' : name
}

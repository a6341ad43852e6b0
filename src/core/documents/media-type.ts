import { extname } from 'node:path'

const BY_EXTENSION: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.xml': 'application/xml',
  '.zip': 'application/zip',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.odt': 'application/vnd.oasis.opendocument.text',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.ofx': 'application/x-ofx',
}

const OCTET_STREAM = 'application/octet-stream'

function startsWith(head: Buffer, bytes: number[], offset = 0): boolean {
  return bytes.every((b, i) => head[offset + i] === b)
}

/**
 * The media type of a file from its first bytes (at least 512 are enough), falling back to the
 * extension of `fileName`. Content wins over the name: a PDF called "guia.txt" is still a PDF.
 */
export function detectMediaType(head: Buffer, fileName: string): string {
  const ext = extname(fileName).toLowerCase()
  const byExtension = BY_EXTENSION[ext]
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38])) return 'image/gif'
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    return zipFamily(head, byExtension)
  }
  if (looksLikeXml(head)) return 'application/xml'
  return byExtension ?? OCTET_STREAM
}

// XLSX, DOCX, ODS... are ZIP files; the first entry names usually tell which, else trust the
// extension if it names a ZIP-based format.
function zipFamily(head: Buffer, byExtension: string | undefined): string {
  const text = head.toString('latin1')
  if (text.includes('mimetypeapplication/vnd.oasis.opendocument.')) {
    const match = /mimetype(application\/vnd\.oasis\.opendocument\.[a-z]+)/.exec(text)
    if (match) return match[1]
  }
  if (text.includes('xl/')) return BY_EXTENSION['.xlsx']
  if (text.includes('word/')) return BY_EXTENSION['.docx']
  if (text.includes('ppt/')) return BY_EXTENSION['.pptx']
  const zipBased = byExtension && /zip|openxml|opendocument/.test(byExtension)
  return zipBased ? byExtension : 'application/zip'
}

function looksLikeXml(head: Buffer): boolean {
  let text = head.subarray(0, 64).toString('utf8')
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  return text.trimStart().startsWith('<?xml')
}

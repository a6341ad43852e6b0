/**
 * core/import owns `confi docs import`: reading PDF text, recognising guides, filing them under
 * the right client and the queue of what could not be filed (docs/decisions.md, "Bulk import").
 *
 * This module turns the bytes of a PDF into the text of each page, or into the reason it cannot.
 */

/** Files above this are not read (a month's guide is well under 1 MB). */
export const MAX_PDF_BYTES = 20 * 1024 * 1024

export type PdfText = { ok: true; pages: string[] } | { ok: false; reason: string }

interface TextItem {
  str: string
  transform: number[]
  width?: number
  height?: number
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs')
let pdfjs: Promise<PdfJs> | undefined

// Loaded on first use: the CLI's other commands should not pay for pdf.js at start-up.
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs')
  return pdfjs
}

/** Why these bytes are not a PDF we can read, before pdf.js sees them; null when they may be. */
export function precheckPdf(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'empty file'
  if (bytes.length > MAX_PDF_BYTES) {
    return `file of ${Math.ceil(bytes.length / 1024 / 1024)} MB is over the ${MAX_PDF_BYTES / 1024 / 1024} MB limit`
  }
  // The header may follow a little junk (ISO 32000-1, 7.5.2 readers accept it in the first 1 KB).
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1')
  if (!head.includes('%PDF-')) return 'not a PDF (no %PDF header)'
  return null
}

// pdf.js in Node reads every document through one in-process worker; two documents read at the
// same time sometimes fail with "Invalid page request." (seen when the database's awaits let the
// import's files interleave). Reading is CPU-bound on one thread anyway, so one at a time costs
// nothing while the other files in flight wait on fsyncs (docs/decisions.md, "Four files in flight").
let reading: Promise<unknown> = Promise.resolve()

/**
 * The text of every page, each page's pieces put back in reading order (top to bottom, left to
 * right) with one line per row; a page without text (a scanned image) is ''.
 */
export function readPdfText(bytes: Uint8Array): Promise<PdfText> {
  const next = reading.then(() => readNow(bytes))
  reading = next.catch(() => undefined)
  return next
}

async function readNow(bytes: Uint8Array): Promise<PdfText> {
  const problem = precheckPdf(bytes)
  if (problem) return { ok: false, reason: problem }
  const { getDocument } = await loadPdfJs()
  // pdf.js takes ownership of (and detaches) the buffer it is given: pass a copy.
  const task = getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: true,
    verbosity: 0,
  })
  try {
    const pdf = await task.promise
    const pages: string[] = []
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n)
      const content = await page.getTextContent()
      pages.push(layoutText(content.items as TextItem[]))
      page.cleanup()
    }
    return { ok: true, pages }
  } catch (error) {
    return { ok: false, reason: describePdfError(error) }
  } finally {
    await task.destroy()
  }
}

function describePdfError(error: unknown): string {
  const name = (error as { name?: string })?.name
  if (name === 'PasswordException') return 'encrypted PDF (password protected)'
  if (name === 'InvalidPDFException') return 'damaged or truncated PDF'
  const message = error instanceof Error ? error.message : String(error)
  return `damaged PDF (${message.slice(0, 120)})`
}

// Rows are pieces whose baselines are within a third of a typical font size.
const ROW_TOLERANCE = 3

/** Puts the pieces of a page back into lines: real guides draw each field as several pieces. */
export function layoutText(items: readonly TextItem[]): string {
  const pieces = items
    .filter((item) => typeof item.str === 'string' && item.str.trim() !== '')
    .map((item) => ({
      text: item.str,
      x: item.transform[4],
      y: item.transform[5],
      width: item.width ?? 0,
      height: item.height || Math.abs(item.transform[3]) || 10,
    }))
    .sort((a, b) => b.y - a.y || a.x - b.x)
  const rows: { y: number; pieces: typeof pieces }[] = []
  for (const piece of pieces) {
    const row = rows.at(-1)
    if (row && Math.abs(row.y - piece.y) <= ROW_TOLERANCE) row.pieces.push(piece)
    else rows.push({ y: piece.y, pieces: [piece] })
  }
  return rows.map((row) => joinRow(row.pieces.sort((a, b) => a.x - b.x))).join('\n')
}

// Pieces that touch are one word cut in pieces ("11.2" "22.333"); a gap wider than a fifth of
// the font size is a space between words or fields.
function joinRow(pieces: readonly { text: string; x: number; width: number; height: number }[]): string {
  let line = ''
  let end = -Infinity
  for (const piece of pieces) {
    const gap = piece.x - end
    line += line === '' ? piece.text.trim() : `${gap > piece.height / 5 ? ' ' : ''}${piece.text.trim()}`
    end = piece.x + piece.width
  }
  return line
}

/**
 * core/import owns `confi docs import`: reading PDF text, recognising guides, filing them under
 * the right client and the queue of what could not be filed (docs/decisions.md, "Bulk import").
 *
 * This module turns the bytes of a PDF into the text of each page, or into the reason it cannot.
 */
import { layoutItems, layoutText, type Layout, type TextItem } from './layout.js'
import { DEFAULT_READ_LIMITS, formatBytes, measureDecodedBytes, type ReadLimits } from './limits.js'

/** Files above this are not read (a month's guide is well under 1 MB). */
export const MAX_PDF_BYTES = 20 * 1024 * 1024

export type PdfText = { ok: true; pages: string[] } | { ok: false; reason: string; overLimit?: boolean }

/** Each page's text and layout, or why the file cannot be read (`overLimit`: one of ./limits.ts's). */
export type PdfPages = { ok: true; pages: { text: string; layout: Layout }[] } | { ok: false; reason: string; overLimit?: boolean }

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
export async function readPdfText(bytes: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<PdfText> {
  const read = await readPdfPages(bytes, limits)
  return read.ok ? { ok: true, pages: read.pages.map((p) => p.text) } : read
}

/** Each page's text and layout (./layout.ts), within `limits`. */
export function readPdfPages(bytes: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<PdfPages> {
  const next = reading.then(() => readNow(bytes, limits))
  reading = next.catch(() => undefined)
  return next
}

class OverLimit extends Error {}

async function readNow(bytes: Uint8Array, limits: ReadLimits): Promise<PdfPages> {
  const problem = precheckPdf(bytes)
  if (problem) return { ok: false, reason: problem }
  if (measureDecodedBytes(bytes, limits.maxDecodedBytes) === null) {
    return { ok: false, overLimit: true, reason: `its content decodes to more than ${formatBytes(limits.maxDecodedBytes)}, the limit per file` }
  }
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
  let timer: NodeJS.Timeout | undefined
  // pdf.js parses in slices of a few milliseconds, so the timer fires while a page is being read;
  // destroying the task then stops it.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OverLimit(`reading it took longer than ${limits.maxMilliseconds / 1000} s, the limit per file`)), limits.maxMilliseconds)
  })
  const work = (async () => {
    const pdf = await task.promise
    if (pdf.numPages > limits.maxPages) throw new OverLimit(`it has ${pdf.numPages} pages, over the limit of ${limits.maxPages} per file`)
    const pages: { text: string; layout: Layout }[] = []
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n)
      const content = await page.getTextContent()
      const layout = layoutItems(asDisplayed(content.items as TextItem[], page.getViewport({ scale: 1 })))
      pages.push({ text: layoutText(layout), layout })
      page.cleanup()
    }
    return pages
  })()
  work.catch(() => undefined)
  try {
    return { ok: true, pages: await Promise.race([work, timeout]) }
  } catch (error) {
    if (error instanceof OverLimit) return { ok: false, overLimit: true, reason: error.message }
    return { ok: false, reason: describePdfError(error) }
  } finally {
    clearTimeout(timer)
    await task.destroy()
  }
}

/**
 * The items as the page is shown: a landscape guide is often drawn turned on a portrait page that
 * /Rotate turns back, and read in the drawing's own coordinates its lines would be columns. The
 * viewport's transform (y downwards) is applied, then y is flipped upwards again for ./layout.ts.
 */
function asDisplayed(items: TextItem[], viewport: { transform: number[]; height: number }): TextItem[] {
  const [a, b, c, d, e, f] = viewport.transform
  return items.map((item) => {
    const [p, q, r, s, x, y] = item.transform
    const shown = [a * p + c * q, b * p + d * q, a * r + c * s, b * r + d * s, a * x + c * y + e, b * x + d * y + f]
    return { ...item, transform: [shown[0], -shown[1], shown[2], -shown[3], shown[4], viewport.height - shown[5]] }
  })
}

function describePdfError(error: unknown): string {
  const name = (error as { name?: string })?.name
  if (name === 'PasswordException') return 'encrypted PDF (password protected)'
  if (name === 'InvalidPDFException') return 'damaged or truncated PDF'
  const message = error instanceof Error ? error.message : String(error)
  return `damaged PDF (${message.slice(0, 120)})`
}

// Cuts the pages of one guide out of a PDF that holds several (pdf-lib).
import { PDFDocument } from 'pdf-lib'

/**
 * A new PDF with only `pages` (1-based) of `source`. Deterministic for the same input (no
 * creation date written), so a re-run produces the same bytes and the same SHA-256.
 */
export async function extractPages(source: Uint8Array, pages: readonly number[]): Promise<Uint8Array> {
  const from = await PDFDocument.load(source, { updateMetadata: false })
  const to = await PDFDocument.create({ updateMetadata: false })
  const copied = await to.copyPages(
    from,
    pages.map((p) => p - 1),
  )
  for (const page of copied) to.addPage(page)
  return to.save()
}

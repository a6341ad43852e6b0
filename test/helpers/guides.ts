import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib'

/** One page of a guide: its heading and labelled boxes, drawn the way the government layouts do. */
export interface GuidePage {
  heading: string[]
  /** [label, value] boxes: the label small on top, the value below it, as on DAS and DARF. */
  boxes?: [string, string][]
  /** Free lines under the boxes (instructions, the bar-code line, the firm's footer). */
  lines?: string[]
  /** Draw every value as one piece per character group, as some generators do. */
  split?: boolean
  /** No text at all (a scanned image). */
  blank?: boolean
}

export function das(cnpj: string, options: { competence?: string; due?: string; amount?: string; name?: string } = {}): GuidePage {
  return {
    heading: ['Documento de Arrecadação', 'do Simples Nacional'],
    boxes: [
      ['CNPJ', cnpj],
      // The name is checked against the client's (docs/rules.md#import-of-guides): only when given.
      ...(options.name ? [['Razão Social', options.name] as [string, string]] : []),
      ['Período de Apuração', options.competence ?? 'Outubro/2026'],
      ['Data de Vencimento', options.due ?? '20/11/2026'],
      ['Número do Documento', '07.20.26305.1234567-8'],
      ['Valor Total do Documento', options.amount ?? 'R$ 1.234,56'],
    ],
    lines: [`Pagar este documento até ${options.due ?? '20/11/2026'}`, '85800000012 3 34560328261 5 10072026305 0 12345678123 9'],
  }
}

export function darf(cnpj: string, options: { firmCnpj?: string; competence?: string } = {}): GuidePage {
  return {
    heading: ['MINISTÉRIO DA FAZENDA', 'RECEITA FEDERAL DO BRASIL  CNPJ 00.394.460/0058-87', 'Documento de Arrecadação de Receitas Federais', 'DARF'],
    boxes: [
      ['CNPJ do Contribuinte', cnpj],
      ['Período de Apuração', options.competence ?? '31/10/2026'],
      ['Data de Vencimento', '25/11/2026'],
      ['Código da Receita', '2089'],
      ['Valor Total do Documento', '12.345,67'],
    ],
    lines: options.firmCnpj ? [`Emitido por escritório contábil responsável CNPJ ${options.firmCnpj}`] : [],
  }
}

export function fgts(cnpj: string): GuidePage {
  return {
    heading: ['GUIA DO FGTS DIGITAL - GFD'],
    boxes: [
      ['Empregador', `CNPJ: ${cnpj}`],
      ['Competência', '10/2026'],
      ['Pagar este documento até', '20/11/2026'],
      ['Valor Total do Documento', 'R$ 3.210,00'],
    ],
  }
}

const PAGE = { width: 595, height: 842 }

function drawText(page: PDFPage, font: PDFFont, text: string, x: number, y: number, size: number, split: boolean) {
  if (!split) return page.drawText(text, { x, y, size, font })
  // Pieces of 2 to 3 characters, each drawn where it belongs.
  let offset = 0
  for (const piece of text.match(/.{1,3}/g) ?? []) {
    page.drawText(piece, { x: x + offset, y, size, font })
    offset += font.widthOfTextAtSize(piece, size) + 0.5
  }
}

function drawGuide(page: PDFPage, font: PDFFont, bold: PDFFont, guide: GuidePage) {
  if (guide.blank) {
    page.drawRectangle({ x: 40, y: 400, width: 500, height: 300, borderWidth: 1 })
    return
  }
  let y = PAGE.height - 60
  for (const line of guide.heading) {
    page.drawText(line, { x: 40, y, size: 13, font: bold })
    y -= 18
  }
  y -= 10
  for (const [label, value] of guide.boxes ?? []) {
    page.drawRectangle({ x: 40, y: y - 26, width: 360, height: 34, borderWidth: 0.5 })
    page.drawText(label, { x: 44, y, size: 7, font })
    drawText(page, font, value, 44, y - 18, 11, guide.split ?? false)
    y -= 40
  }
  for (const line of guide.lines ?? []) {
    y -= 16
    page.drawText(line, { x: 40, y, size: 9, font })
  }
}

/** A PDF with one guide page per entry. */
export async function guidePdf(pages: GuidePage[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create()
  const font = await doc.embedFont(StandardFonts.Helvetica)
  const bold = await doc.embedFont(StandardFonts.HelveticaBold)
  for (const guide of pages) drawGuide(doc.addPage([PAGE.width, PAGE.height]), font, bold, guide)
  return doc.save({ useObjectStreams: false })
}

/** Writes a guide PDF to `dir/name` and returns the path. */
export async function writeGuide(dir: string, name: string, pages: GuidePage[]): Promise<string> {
  const path = join(dir, name)
  writeFileSync(path, await guidePdf(pages))
  return path
}

/**
 * An encrypted PDF: pdf-lib cannot encrypt, so an incremental update adds a standard security
 * handler (ISO 32000-1, 7.6.3) whose /U entry matches no password, as a protected file's would.
 */
export async function encryptedPdf(pages: GuidePage[]): Promise<Buffer> {
  const plain = Buffer.from(await guidePdf(pages))
  const text = plain.toString('latin1')
  const prev = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)![1])
  const size = Number(/\/Size (\d+)/.exec(text)![1])
  const root = /\/Root (\d+ \d+ R)/.exec(text)![1]
  const hex = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 37 + seed) % 256).toString(16).padStart(2, '0')).join('')
  const object = `${size} 0 obj\n<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <${hex(32, 7)}> /U <${hex(32, 11)}> >>\nendobj\n`
  const objectOffset = plain.length + 1
  const xrefOffset = objectOffset + object.length
  const update =
    `\n${object}xref\n${size} 1\n${String(objectOffset).padStart(10, '0')} 00000 n \n` +
    `trailer\n<< /Size ${size + 1} /Root ${root} /Prev ${prev} /Encrypt ${size} 0 R /ID [<${hex(16, 3)}> <${hex(16, 3)}>] >>\n` +
    `startxref\n${xrefOffset}\n%%EOF\n`
  return Buffer.concat([plain, Buffer.from(update, 'latin1')])
}

import QRCode from 'qrcode'
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFString,
  StandardFonts,
  decodePDFRawStream,
  rgb,
  type PDFFont,
  type PDFPage,
} from 'pdf-lib'
import { formatTaxId } from '../../clients/tax-id.js'
import { ValidationError } from '../../errors.js'
import type { Receipt } from '../receipt-format.js'
import { erasedFields } from '../receipt-verify.js'

// The receipt as a PDF in pt-BR for people, with the receipt's JSON attached for machines
// (docs/receipts.md). Standard PDF fonts only: no font file to ship.

const ZONE = 'America/Sao_Paulo'
const MARGIN = 40
const WIDTH = 595.28 // A4
const HEIGHT = 841.89

// How a row came in, as the end of "Ana Souza abriu o documento …".
const THROUGH: Record<string, string> = {
  portal: 'na Área do Cliente',
  email: 'pelo link enviado por e-mail',
  whatsapp: 'pelo link enviado por WhatsApp',
  link: 'por link',
}

/** The name of the JSON attachment inside the PDF. */
export function receiptAttachmentName(receipt: Pick<Receipt, 'id'>): string {
  return `comprovante-${receipt.id}.json`
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '-'
  const text = new Intl.DateTimeFormat('pt-BR', { timeZone: ZONE, dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso))
  return `${text} (Brasília)`
}

export function date(day: string | null): string {
  return day ? day.split('-').reverse().join('/') : '-'
}

/** A competence, '2026-03', as '03/2026'; '-' for none. */
export const competence = date

export function bytes(size: number): string {
  if (size < 1024) return `${size} bytes`
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1).replace('.', ',')} KB`
  return `${(size / 1024 / 1024).toFixed(1).replace('.', ',')} MB`
}

// The standard fonts encode WinAnsi (Latin-1 and a few more): anything else prints as '?'.
const printable = (text: string) => text.replace(/[^\x20-\x7e\xa0-\xff]/g, '?')

/** "Por e-mail para x@y em …; o servidor de e-mail aceitou a mensagem em …; link válido até …". */
function sentLine(d: Receipt['deliveries'][number]): string {
  const how = d.channel === 'email' ? 'Por e-mail' : d.channel === 'whatsapp' ? 'Por WhatsApp' : 'Por link'
  const to = d.recipientWithheld ? ' para outra pessoa (endereço omitido)' : d.recipient ? ` para ${d.recipient}` : ''
  const parts = [`${how}${to} em ${dateTime(d.createdAt)}`]
  if (d.channel === 'email') {
    parts.push(
      d.acceptedByMailServerAt
        ? `o servidor de e-mail aceitou a mensagem em ${dateTime(d.acceptedByMailServerAt)}`
        : 'sem registro de aceite pelo servidor de e-mail',
    )
  }
  parts.push(d.revokedAt ? `link cancelado pelo escritório em ${dateTime(d.revokedAt)}` : d.expiresAt ? `link válido até ${dateTime(d.expiresAt)}` : 'link sem prazo')
  return `${parts.join('; ')} (envio ${d.id}).`
}

/** (Exported for its test.) "06/12/2026 10:31:02 (Brasília): Ana Souza (ana.souza) baixou o arquivo das.pdf na Área do Cliente (registro nº 9)." */
export function accessLine(row: Receipt['rows'][number], fileNames: Map<number, string>): string {
  // A value erased at the person's request (LGPD) leaves its commitment: the row still verifies.
  const erased = new Set(erasedFields(row))
  const shown = (field: string) => (erased.has(field) ? ERASED : (row[field] as string | number | null))
  const who = row.user_id === null ? 'Alguém sem login' : `${shown('user_name')} (${shown('username')})`
  const file = row.attachment_id === null ? null : fileNames.get(Number(row.attachment_id))
  const what = row.action === 'view' ? 'abriu o documento' : file ? `baixou o arquivo ${file}` : 'baixou um arquivo'
  const through = THROUGH[String(row.channel)] ?? `pelo canal ${row.channel}`
  return `${dateTime(String(row.at))}: ${who} ${what} ${through}, IP ${shown('ip') ?? '-'} (registro nº ${row.id}).`
}

const ERASED = 'apagado (LGPD)'

/** Writes lines top to bottom, starting a new page when one is full. */
export class Writer {
  page: PDFPage
  y = HEIGHT - MARGIN
  /** Room kept free on the right (beside the QR code). */
  inset = 0
  constructor(
    private readonly pdf: PDFDocument,
    private readonly fonts: { regular: PDFFont; bold: PDFFont; mono: PDFFont },
  ) {
    this.page = pdf.addPage([WIDTH, HEIGHT])
  }

  private room(height: number): void {
    if (this.y - height >= MARGIN) return
    this.page = this.pdf.addPage([WIDTH, HEIGHT])
    this.y = HEIGHT - MARGIN
  }

  text(text: string, options: { size?: number; font?: 'regular' | 'bold' | 'mono'; indent?: number } = {}): void {
    const size = options.size ?? 9
    const font = this.fonts[options.font ?? 'regular']
    const x = MARGIN + (options.indent ?? 0)
    for (const line of wrap(printable(text), font, size, WIDTH - MARGIN - x - this.inset)) {
      this.room(size + 3)
      this.y -= size + 3
      this.page.drawText(line, { x, y: this.y, size, font, color: rgb(0, 0, 0) })
    }
  }

  heading(text: string): void {
    this.y -= 6
    this.text(text, { size: 11, font: 'bold' })
  }

  field(label: string, value: string): void {
    this.text(`${label}: ${value}`)
  }
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word
    if (font.widthOfTextAtSize(next, size) <= width || !line) line = next
    else {
      lines.push(line)
      line = word
    }
  }
  lines.push(line)
  return lines
}

function drawQr(page: PDFPage, url: string, x: number, y: number, size: number): void {
  const modules = QRCode.create(url, { errorCorrectionLevel: 'M' }).modules
  const cell = size / (modules.size + 8)
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (!modules.data[row * modules.size + col]) continue
      page.drawRectangle({ x: x + (col + 4) * cell, y: y + size - (row + 5) * cell, width: cell, height: cell, color: rgb(0, 0, 0) })
    }
  }
}

/**
 * A new PDF by confi (`title` in its metadata) with the header that receipts and protocols share:
 * `heading`, the firm, when and with what code it was issued, where to check it, and a QR code.
 */
export async function startPdf(
  title: string,
  heading: string,
  issued: { id: string; issuedAt: string; url: string; firm: { name: string; baseUrl: string } },
): Promise<{ pdf: PDFDocument; w: Writer }> {
  const pdf = await PDFDocument.create()
  pdf.setTitle(printable(title))
  pdf.setProducer('confi')
  pdf.setCreationDate(new Date(issued.issuedAt))
  const fonts = {
    regular: await pdf.embedFont(StandardFonts.Helvetica),
    bold: await pdf.embedFont(StandardFonts.HelveticaBold),
    mono: await pdf.embedFont(StandardFonts.Courier),
  }
  const w = new Writer(pdf, fonts)
  // Only the firm's own address: a code to a per-receipt page is one a forger could point elsewhere.
  drawQr(w.page, issued.firm.baseUrl, WIDTH - MARGIN - 110, HEIGHT - MARGIN - 110, 110)
  w.inset = 120
  w.text(heading, { size: 16, font: 'bold' })
  w.field('Escritório', issued.firm.name)
  w.field('Emitido em', dateTime(issued.issuedAt))
  w.field('Código', issued.id)
  w.text(`Confira em ${issued.url}`, { size: 8 })
  w.inset = 0
  w.y = Math.min(w.y, HEIGHT - MARGIN - 115)
  return { pdf, w }
}

/** Attaches `issued` as JSON (`name`, dated when it was issued) and returns the PDF's bytes. */
export async function finishPdf(pdf: PDFDocument, issued: { issuedAt: string }, name: string, description: string): Promise<Uint8Array> {
  await pdf.attach(Buffer.from(JSON.stringify(issued, null, 2), 'utf8'), name, {
    mimeType: 'application/json',
    description,
    creationDate: new Date(issued.issuedAt),
    modificationDate: new Date(issued.issuedAt),
  })
  return pdf.save()
}

/** The receipt as a PDF: what it proves in pt-BR, a QR code to its portal page, its JSON attached. */
export async function renderReceiptPdf(receipt: Receipt): Promise<Uint8Array> {
  const { pdf, w } = await startPdf(`Comprovante de entrega e acesso - ${receipt.document.title}`, 'Comprovante de entrega e acesso', receipt)
  w.heading('Resumo')
  const taxLabel = receipt.client.taxId.length === 11 ? 'CPF' : 'CNPJ'
  w.text(
    `O escritório ${receipt.firm.name} enviou o documento "${receipt.document.title}" para ${receipt.client.name} ` +
      `(${taxLabel} ${formatTaxId(receipt.client.taxId)}). Este comprovante mostra como ele foi enviado e quando cada arquivo foi aberto ou baixado.`,
  )
  w.heading('O que foi enviado')
  w.field('Documento', receipt.document.title)
  w.field('Competência', competence(receipt.document.competence))
  w.field('Vencimento', date(receipt.document.dueDate))
  for (const file of receipt.document.files) w.text(`Arquivo: ${file.name} (${bytes(file.size)})`)
  const published = receipt.publications.at(-1)
  w.text(
    published
      ? `Os arquivos e seus dados constam do registro de acessos assinado do escritório (registro nº ${published.id}, ${published.kind === 'document.published' ? 'publicação' : 'alteração'} do documento).`
      : 'Documento enviado antes de o registro de acessos anotar publicações: os arquivos acima são os que o escritório declara neste comprovante assinado, sem registro próprio.',
    { size: 8 },
  )
  w.heading('Como foi enviado')
  if (receipt.deliveries.length === 0) w.text('Somente pela Área do Cliente: nenhum envio por link, e-mail ou WhatsApp.')
  for (const d of receipt.deliveries) w.text(sentLine(d))
  w.heading('Quando foi aberto')
  if (receipt.rows.length === 0) w.text('Ninguém abriu nem baixou este documento até a emissão deste comprovante.')
  const fileNames = new Map(receipt.document.files.map((f) => [f.id, f.name]))
  for (const row of receipt.rows) w.text(accessLine(row, fileNames))
  if (receipt.rows.length > 0) {
    w.text(
      'O número ao fim de cada linha é o do registro de acessos do escritório, que numera os acessos de todos os clientes; ' +
        'por isso os números deste documento não são seguidos.',
      { size: 8 },
    )
  }
  w.heading('Como conferir este comprovante')
  w.text(
    `Abra ${receipt.url}, no site do escritório (o código QR no alto desta página leva a ${receipt.firm.baseUrl}; confira que é o endereço do seu escritório). ` +
      'A página do escritório confere a assinatura digital e mostra estes mesmos dados: se algo aqui for diferente, este arquivo foi alterado.',
  )
  w.heading('Informações técnicas (para auditoria)')
  for (const file of receipt.document.files) w.text(`${file.name}: SHA-256 ${file.sha256}`, { font: 'mono', size: 7 })
  for (const d of receipt.deliveries) {
    if (d.mailServerReply) w.text(`Envio ${d.id}, resposta do servidor de e-mail: ${d.mailServerReply}`, { font: 'mono', size: 7 })
  }
  const c = receipt.checkpoint
  w.text(
    `Os registros acima estão no registro de acessos encadeado do escritório, assinado (Ed25519) em ${dateTime(c.at)} com ${c.treeSize} registros. ` +
      'O arquivo JSON anexado a este PDF traz cada registro, sua prova de inclusão (RFC 9162), o ponto de verificação assinado, a chave pública e a assinatura do escritório sobre todo o comprovante.',
    { size: 8 },
  )
  w.text(`Raiz: ${c.rootHash}`, { font: 'mono', size: 7 })
  w.text(`Chave ${receipt.publicKey.id}: ${receipt.publicKey.publicKey}`, { font: 'mono', size: 7 })
  w.text('Verificação independente do escritório: confi receipts verify ARQUIVO.pdf --public-key CHAVE', { size: 8 })
  return finishPdf(pdf, receipt, receiptAttachmentName(receipt), 'Comprovante em formato verificável por máquina')
}

/** The receipt (or protocol) JSON attached to a receipt's (or protocol's) PDF. */
export async function extractReceiptJson(pdfBytes: Uint8Array): Promise<string> {
  let pdf: PDFDocument
  try {
    pdf = await PDFDocument.load(pdfBytes, { updateMetadata: false })
  } catch {
    throw new ValidationError('not a PDF file, or a damaged one')
  }
  const names = pdf.catalog.lookupMaybe(PDFName.of('Names'), PDFDict)
  const files = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict)
  const list = files?.lookupMaybe(PDFName.of('Names'), PDFArray)
  for (let i = 0; list && i + 1 < list.size(); i += 2) {
    const name = list.lookup(i)
    const text = name instanceof PDFString || name instanceof PDFHexString ? name.decodeText() : ''
    if (!/^(comprovante|protocolo)-[A-Za-z0-9_-]+\.json$/.test(text)) continue
    const spec = list.lookup(i + 1, PDFDict)
    const stream = spec.lookup(PDFName.of('EF'), PDFDict).lookup(PDFName.of('F'))
    if (!(stream instanceof PDFRawStream)) break
    return Buffer.from(decodePDFRawStream(stream).decode()).toString('utf8')
  }
  throw new ValidationError('the PDF has no receipt attached (comprovante-<id>.json): it is not a confi receipt')
}

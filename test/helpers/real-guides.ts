// Guides laid out as the real ones are, drawn with pdfkit: a PDF library other than the one the
// import uses to cut pages (pdf-lib, also behind ./guides.ts), so the fixtures do not share its
// habits. Labels and values are separate text runs; fields are drawn boxes with the label at the
// top left and the value below it, often right-aligned; footnotes run across several lines.
import { createDeflate } from 'node:zlib'
import PDFDocument from 'pdfkit'

type Doc = PDFKit.PDFDocument

/** What the guide says; every field may be left out to test its absence. */
export interface RealGuide {
  cnpj: string
  name: string
  competence?: string
  due?: string
  amount?: string
}

function box(doc: Doc, x: number, y: number, width: number, height: number, label: string, value?: string, align: 'left' | 'right' = 'right') {
  doc.lineWidth(0.5).rect(x, y, width, height).stroke()
  doc.font('Helvetica').fontSize(6).text(label, x + 2, y + 2, { lineBreak: false })
  if (value === undefined) return
  doc.font('Helvetica-Bold').fontSize(9)
  const vx = align === 'right' ? x + width - 3 - doc.widthOfString(value) : x + 3
  doc.text(value, vx, y + height - 12, { lineBreak: false })
}

function lines(doc: Doc, x: number, y: number, size: number, texts: readonly string[], font = 'Helvetica') {
  doc.font(font).fontSize(size)
  texts.forEach((text, i) => doc.text(text, x, y + i * (size + 3), { lineBreak: false }))
}

/** DARF: the number-prefixed fields in the right column, the notice on the threshold at the left. */
function drawDarf(doc: Doc, g: RealGuide) {
  lines(doc, 40, 40, 8, ['MINISTÉRIO DA FAZENDA', 'SECRETARIA DA RECEITA FEDERAL DO BRASIL', 'Documento de Arrecadação de Receitas Federais'], 'Helvetica-Bold')
  doc.font('Helvetica-Bold').fontSize(20).text('DARF', 40, 80, { lineBreak: false })
  box(doc, 40, 110, 280, 50, '01 NOME/TELEFONE', `${g.name}   (11) 3333-4444`, 'left')
  // The notice sits level with fields 07-10, wrapped so that one line starts with "valor total".
  lines(doc, 44, 250, 7, [
    'ATENÇÃO',
    'É vedado o recolhimento de tributos administrados pela Secretaria da',
    'Receita Federal do Brasil (RFB) cujo',
    'valor total seja inferior a R$ 10,00. Ocorrendo tal situação,',
    'adicione esse valor ao tributo de mesmo código de períodos',
    'subsequentes, até que o total seja igual ou superior a R$ 10,00.',
  ])
  const fields: [string, string | undefined][] = [
    ['02 PERÍODO DE APURAÇÃO', g.competence],
    ['03 NÚMERO DO CPF OU CNPJ', g.cnpj],
    ['04 CÓDIGO DA RECEITA', '2089'],
    ['05 NÚMERO DE REFERÊNCIA', undefined],
    ['06 DATA DE VENCIMENTO', g.due],
    ['07 VALOR DO PRINCIPAL', '1.200,00'],
    ['08 VALOR DA MULTA', '24,00'],
    ['09 VALOR DOS JUROS E/OU ENCARGOS DL - 1.025/69', '10,56'],
    ['10 VALOR TOTAL', g.amount],
    ['11 AUTENTICAÇÃO BANCÁRIA (Somente nas 1ª e 2ª vias)', undefined],
  ]
  fields.forEach(([label, value], i) => box(doc, 340, 110 + i * 26, 215, 26, label, value))
}

/** GPS: field 1 holds name and address (an address with "das" in it), 11 the total. */
function drawGps(doc: Doc, g: RealGuide) {
  lines(doc, 40, 40, 8, ['MINISTÉRIO DA PREVIDÊNCIA SOCIAL - MPS', 'INSTITUTO NACIONAL DO SEGURO SOCIAL - INSS', 'GUIA DA PREVIDÊNCIA SOCIAL - GPS'], 'Helvetica-Bold')
  doc.lineWidth(0.5).rect(40, 90, 280, 70).stroke()
  doc.font('Helvetica').fontSize(6).text('1 - NOME OU RAZÃO SOCIAL/FONE/ENDEREÇO:', 42, 92, { lineBreak: false })
  lines(doc, 44, 104, 8, [g.name, 'Rua das Flores, 123 - Centro', 'São Paulo - SP   CEP 01010-000   (11) 3333-4444'])
  box(doc, 40, 160, 280, 26, '2 - VENCIMENTO (Uso exclusivo do INSS)', g.due, 'left')
  lines(doc, 44, 200, 6, ['ATENÇÃO: É vedada a utilização de GPS para recolhimento de receita de valor', 'inferior ao estipulado em Resolução publicada pelo INSS. A receita que resultar', 'valor inferior deverá ser adicionada à contribuição ou importância correspondente', 'nos meses subsequentes, até que o total seja igual ou superior ao valor mínimo fixado.'])
  const fields: [string, string | undefined][] = [
    ['3 - CÓDIGO DE PAGAMENTO', '2100'],
    ['4 - COMPETÊNCIA', g.competence],
    ['5 - IDENTIFICADOR', g.cnpj],
    ['6 - VALOR DO INSS', '1.000,00'],
    ['7 -', undefined],
    ['8 -', undefined],
    ['9 - VALOR DE OUTRAS ENTIDADES', '200,00'],
    ['10 - ATM, MULTA E JUROS', '34,56'],
    ['11 - TOTAL', g.amount],
  ]
  fields.forEach(([label, value], i) => box(doc, 340, 90 + i * 24, 215, 24, label, value))
}

/** DAS: boxes side by side, their values under each label; a composition table with "Total". */
function drawDas(doc: Doc, g: RealGuide) {
  doc.font('Helvetica-Bold').fontSize(12).text('Documento de Arrecadação', 40, 40, { lineBreak: false })
  doc.text('do Simples Nacional', 40, 55, { lineBreak: false })
  box(doc, 40, 80, 150, 30, 'CNPJ', g.cnpj, 'left')
  box(doc, 190, 80, 365, 30, 'Razão Social', g.name, 'left')
  box(doc, 40, 110, 150, 30, 'Período de Apuração', g.competence, 'left')
  box(doc, 190, 110, 150, 30, 'Data de Vencimento', g.due, 'left')
  box(doc, 340, 110, 215, 30, 'Número do Documento', '07.20.26305.1234567-8', 'left')
  box(doc, 340, 140, 215, 30, 'Pagar este documento até', g.due)
  box(doc, 340, 170, 215, 30, 'Valor Total do Documento', g.amount)
  lines(doc, 40, 215, 7, ['Composição do Documento de Arrecadação'], 'Helvetica-Bold')
  const columns = [40, 90, 300, 360, 420, 490]
  ;['Código', 'Denominação', 'Principal', 'Multa', 'Juros', 'Total'].forEach((h, i) => lines(doc, columns[i], 230, 7, [h]))
  ;['1001', 'IRPJ - SIMPLES NACIONAL', '1.100,00', '0,00', '0,00', '1.100,00'].forEach((v, i) => lines(doc, columns[i], 242, 7, [v]))
}

/** FGTS Digital: "label:" and its value side by side as separate runs; the due date is "Pagar até". */
function drawFgts(doc: Doc, g: RealGuide) {
  doc.font('Helvetica-Bold').fontSize(12).text('FGTS Digital', 40, 40, { lineBreak: false })
  doc.font('Helvetica').fontSize(9).text('Guia do FGTS Digital - GFD', 40, 56, { lineBreak: false })
  const pairs: [string, string | undefined][] = [
    ['Empregador:', g.name],
    ['CNPJ:', g.cnpj],
    ['Competência:', g.competence],
    ['Data de emissão:', '05/11/2026'],
    ['Pagar até:', g.due],
    ['Identificador da guia:', '0126 1234 5678 9012'],
    ['Valor a recolher:', g.amount ? `R$ ${g.amount}` : undefined],
  ]
  pairs.forEach(([label, value], i) => {
    doc.font('Helvetica').fontSize(8).text(label, 40, 90 + i * 16, { lineBreak: false })
    if (value !== undefined) doc.font('Helvetica-Bold').fontSize(9).text(value, 160, 90 + i * 16, { lineBreak: false })
  })
  lines(doc, 40, 220, 7, ['Empresa situada na Rua das Palmeiras, 45 - Sala DAS Artes', 'Após o vencimento, o valor será atualizado com multa e juros.'])
}

/** A page with a CNPJ and a company but no guide at all. */
function drawLetter(doc: Doc, g: RealGuide) {
  lines(doc, 40, 40, 10, [g.name, `CNPJ: ${g.cnpj}`, 'Rua das Flores, 123', '', 'Relatório de atividades do mês', 'Prezados, segue o resumo dos serviços prestados.'])
}

const DRAW = { darf: drawDarf, gps: drawGps, das: drawDas, fgts: drawFgts, letter: drawLetter }
export type RealKind = keyof typeof DRAW

/** A PDF, one page per guide, drawn by pdfkit (content streams Flate-compressed). */
export function realGuidePdf(pages: readonly { kind: RealKind; guide: RealGuide }[]): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, compress: true })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))))
  for (const { kind, guide } of pages) {
    doc.addPage()
    DRAW[kind](doc, guide)
  }
  doc.end()
  return done
}

/**
 * A PDF of a few hundred KB whose one content stream inflates to `megabytes` MB of spaces: what a
 * compression bomb looks like to a reader. Written by hand, streamed, so making it stays small too.
 */
export async function compressionBomb(megabytes: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 })
  const compressed: Buffer[] = []
  deflate.on('data', (c: Buffer) => compressed.push(c))
  const finished = new Promise((resolve) => deflate.on('end', resolve))
  const mb = Buffer.alloc(1024 * 1024, 0x20)
  for (let i = 0; i < megabytes; i++) if (!deflate.write(mb)) await new Promise((r) => deflate.once('drain', r))
  deflate.end()
  await finished
  const stream = Buffer.concat(compressed)
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>',
  ]
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n')]
  const offsets: number[] = []
  let size = parts[0].length
  const push = (b: Buffer) => {
    parts.push(b)
    size += b.length
  }
  objects.forEach((body, i) => {
    offsets.push(size)
    push(Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`))
  })
  offsets.push(size)
  push(Buffer.from(`4 0 obj\n<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`))
  push(stream)
  push(Buffer.from('\nendstream\nendobj\n'))
  const xref = size
  const entries = offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')
  push(Buffer.from(`xref\n0 5\n0000000000 65535 f \n${entries}trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`))
  return Buffer.concat(parts)
}

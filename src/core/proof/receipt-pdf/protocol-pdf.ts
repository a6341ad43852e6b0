import { formatTaxId } from '../../clients/tax-id.js'
import { withheldFields, type Protocol } from '../protocol-format.js'
import { erasedFields } from '../receipt-verify.js'
import { bytes, competence, date, dateTime, finishPdf, startPdf } from './receipt-pdf.js'

// The protocolo de envio as a PDF in pt-BR, with its JSON attached as `protocolo-<id>.json`
// (docs/receipts.md, "Protocolo de envio"), laid out like the access receipt's.

const ERASED = 'apagado (LGPD)'
// A value left out because the holder is not the person who acted (docs/receipts.md, "Values
// withheld from a colleague"): not erased, only not given to this holder.
const WITHHELD = 'não incluído: dado de outra pessoa'

/** The name of the JSON attachment inside the PDF. */
export function protocolAttachmentName(protocol: Pick<Protocol, 'id'>): string {
  return `protocolo-${protocol.id}.json`
}

/** How the PDF words a personal value of the row: withheld, erased, or the value. */
function personalWords(p: Protocol): (field: string) => string {
  const withheld = withheldFields(p)
  const erased = new Set(erasedFields(p.row))
  return (f) => (withheld.has(f) ? WITHHELD : erased.has(f) ? ERASED : String(p.row[f] ?? '-'))
}

/** "Ana Souza (ana.souza)", or "o escritório" for the firm's own mark. */
function sender(p: Protocol): string {
  if (p.row.user_id === null) return 'o escritório'
  const shown = personalWords(p)
  return `${shown('user_name')} (${shown('username')})`
}

function summaryOf(p: Protocol, taxLabel: string): string {
  const company = `${p.client.name} (${taxLabel} ${formatTaxId(p.client.taxId)})`
  const when = dateTime(String(p.row.at))
  if (p.upload) {
    const n = p.upload.files.length
    return `Em ${when}, ${sender(p)} enviou ao escritório ${p.firm.name} ${n} ${n === 1 ? 'arquivo' : 'arquivos'} de ${company}. ` +
      'Este protocolo prova o que foi enviado e quando: o nome, o tamanho e a impressão digital (SHA-256) de cada arquivo.'
  }
  if (p.payment) {
    return `Em ${when}, ${sender(p)} informou ao escritório ${p.firm.name} que a guia "${p.payment.document.title}" de ${company} ` +
      `foi paga em ${date(p.payment.paidOn)}.`
  }
  return `Em ${when}, ${sender(p)} informou ao escritório ${p.firm.name} que não há nada a enviar para o pedido "${p.request?.title ?? ''}" de ${company}.`
}

/** The protocol as a PDF: what it proves in pt-BR, a QR code to the firm's address, its JSON attached. */
export async function renderProtocolPdf(p: Protocol): Promise<Uint8Array> {
  const { pdf, w } = await startPdf('Protocolo de envio', 'Protocolo de envio', p)
  w.heading('Resumo')
  w.text(summaryOf(p, p.client.taxId.length === 11 ? 'CPF' : 'CNPJ'))
  w.heading(p.upload ? 'O que foi enviado' : p.payment ? 'A guia' : 'O pedido')
  if (p.request) w.field('Pedido', `${p.request.title} (competência ${competence(p.request.competence)})`)
  if (p.upload) for (const f of p.upload.files) w.text(`Arquivo: ${f.name} (${bytes(f.size)})`)
  if (p.payment) {
    const d = p.payment.document
    w.field('Guia', `${d.title} (competência ${competence(d.competence)}, vencimento ${date(d.dueDate)})`)
    w.field('Pago em', date(p.payment.paidOn))
    w.field('Comprovante do banco', p.payment.proofUploadId === null ? 'não enviado' : `envio nº ${p.payment.proofUploadId}`)
  }
  if (p.note !== null) w.field('Observação', p.note)
  w.heading('Quem e de onde')
  const shown = personalWords(p)
  w.text(`${sender(p)}${p.row.user_id === null ? '' : `, IP ${shown('ip')}, navegador ${shown('user_agent')}`} (registro nº ${p.row.id}).`)
  if (withheldFields(p).size > 0) {
    w.text(
      'O IP, a porta e o navegador de quem enviou não estão neste protocolo: são dados pessoais de outra pessoa, que só ela e o escritório recebem. ' +
        'O registro continua conferível sem eles.',
      { size: 8 },
    )
  }
  w.heading('Como conferir este protocolo')
  w.text(
    `Abra ${p.url}, no site do escritório (o código QR no alto desta página leva a ${p.firm.baseUrl}; confira que é o endereço do seu escritório). ` +
      'A página do escritório confere a assinatura digital e mostra estes mesmos dados: se algo aqui for diferente, este arquivo foi alterado.',
  )
  w.heading('Informações técnicas (para auditoria)')
  for (const f of p.upload?.files ?? []) w.text(`${f.name}: SHA-256 ${f.sha256}`, { font: 'mono', size: 7 })
  const c = p.checkpoint
  w.text(
    `O registro nº ${p.row.id} está no registro de acessos encadeado do escritório, assinado (Ed25519) em ${dateTime(c.at)} com ${c.treeSize} registros. ` +
      'O arquivo JSON anexado a este PDF traz o registro, sua prova de inclusão (RFC 9162), o ponto de verificação assinado, a chave pública e a assinatura do escritório sobre todo o protocolo.',
    { size: 8 },
  )
  w.text(`Raiz: ${c.rootHash}`, { font: 'mono', size: 7 })
  w.text(`Chave ${p.publicKey.id}: ${p.publicKey.publicKey}`, { font: 'mono', size: 7 })
  w.text('Verificação independente do escritório: confi receipts verify ARQUIVO.pdf --public-key CHAVE', { size: 8 })
  return finishPdf(pdf, p, protocolAttachmentName(p), 'Protocolo em formato verificável por máquina')
}

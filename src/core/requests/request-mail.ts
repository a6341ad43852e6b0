import { formatBrazilianPhone } from '../clients/phone.js'
import type { Db } from '../db/database.js'
import type { MailReadyFirm } from '../mail/document-mail.js'
import { esc, formatCompetenceBr, formatDateBr, newMessageId } from '../mail/messages.js'
import { enqueueMail } from '../mail/outbox.js'
import type { DocumentRequest } from './requests.js'

// The e-mails about a request, in pt-BR, to the client's people who may answer it: a reminder
// before (and on the day after) its due date, and the firm's rejection of an answer. Plain text
// and HTML say the same; the link is the request's page in the client area.

/** The client-area page of a request. */
export function requestPageUrl(baseUrl: string, requestId: number): string {
  return `${baseUrl.replace(/\/+$/, '')}/pendencias/${requestId}`
}

/** "vence em 3 dias", "vence hoje", "venceu ontem". */
function whenDue(daysLeft: number): string {
  if (daysLeft === 0) return 'vence hoje'
  if (daysLeft === 1) return 'vence amanhã'
  if (daysLeft === -1) return 'venceu ontem'
  if (daysLeft < 0) return `venceu há ${-daysLeft} dias`
  return `vence em ${daysLeft} dias`
}

type RequestMail = { kind: 'request_reminder'; daysLeft: number } | { kind: 'answer'; reason: string | null }

function compose(firm: MailReadyFirm, request: DocumentRequest, mail: RequestMail) {
  const link = requestPageUrl(firm.baseUrl, request.id)
  const subject =
    mail.kind === 'request_reminder'
      ? `Pendência: ${request.title} ${whenDue(mail.daysLeft)} (${formatDateBr(request.dueDate)})`
      : `Envie de novo: ${request.title} – ${request.clientName}`
  const opening =
    mail.kind === 'request_reminder'
      ? `${firm.firmName} aguarda o envio abaixo, que ${whenDue(mail.daysLeft)}.`
      : `${firm.firmName} analisou o que foi enviado e precisa que seja enviado de novo.`
  const lines: [string, string][] = [
    ['Empresa', request.clientName],
    ['Pedido', request.title],
    ...(request.competence ? [['Competência', formatCompetenceBr(request.competence)] as [string, string]] : []),
    ['Prazo', formatDateBr(request.dueDate)],
    ...(request.note ? [['Observação', request.note] as [string, string]] : []),
    ...(mail.kind === 'answer' && mail.reason ? [['Motivo', mail.reason] as [string, string]] : []),
  ]
  const signature = [firm.firmName, ...(firm.phone ? [`Telefone: ${formatBrazilianPhone(firm.phone)}`] : [])]
  const action = 'Para enviar os arquivos, ou informar que não há nada a enviar, acesse:'
  const text = ['Olá,', '', opening, '', ...lines.map(([k, v]) => `${k}: ${v}`), '', action, link, '', ...signature].join('\n')
  const html = `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(subject)}</title></head>
<body style="font-family: Arial, sans-serif; color: #222; line-height: 1.5">
<p>Olá,</p>
<p>${esc(opening)}</p>
<table role="presentation" style="border-collapse: collapse">
${lines.map(([k, v]) => `<tr><th align="left" style="padding: 2px 12px 2px 0">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}
</table>
<p><a href="${esc(link)}">Abrir a pendência</a></p>
<p style="font-size: 0.9em; color: #555">Se o link não abrir, copie e cole no navegador: ${esc(link)}</p>
<p>${signature.map(esc).join('<br>')}</p>
</body></html>`
  return { subject, text, html }
}

/** Composes and queues one e-mail about `request` to `recipient` inside `trx`; returns its outbox id. */
export async function queueRequestMail(
  trx: Db,
  input: { firm: MailReadyFirm; request: DocumentRequest; recipient: string; createdBy: string; mail: RequestMail },
): Promise<number> {
  const message = compose(input.firm, input.request, input.mail)
  return enqueueMail(trx, {
    kind: input.mail.kind,
    documentId: null,
    deliveryId: null,
    requestId: input.request.id,
    recipient: input.recipient,
    mailFrom: input.firm.mailFrom,
    messageId: newMessageId(input.firm.mailFrom),
    createdBy: input.createdBy,
    ...message,
  })
}

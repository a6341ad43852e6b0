import { randomBytes } from 'node:crypto'
import { mailFromAddress } from '../clients/firm-contact.js'
import { formatBrazilianPhone } from '../clients/phone.js'
import { formatAmount } from '../documents/amount.js'

// The wording of the firm's e-mails and WhatsApp texts, in pt-BR. Plain text and HTML say the
// same; no images and no tracking pixel: the link itself is the tracking (docs/decisions.md,
// "E-mail content").

export type MessageKind = 'delivery' | 'notification' | 'reminder'

export interface MessageFacts {
  kind: MessageKind
  firmName: string
  firmPhone: string | null
  clientName: string
  title: string
  competence: string | null
  dueDate: string | null
  /** A guide's amount in centavos (imported guides), when known. */
  amountCents?: number | null
  link: string
  /** Days left until the due date (reminders). */
  daysLeft?: number
}

export interface ComposedMessage {
  subject: string
  text: string
  html: string
}

/** `2026-12-21` → `21/12/2026`. */
export function formatDateBr(isoDate: string): string {
  const [y, m, d] = isoDate.split('-')
  return `${d}/${m}/${y}`
}

/** `2026-11` → `11/2026`. */
export function formatCompetenceBr(competence: string): string {
  const [y, m] = competence.split('-')
  return `${m}/${y}`
}

function whenDue(daysLeft: number): string {
  if (daysLeft === 0) return 'vence hoje'
  if (daysLeft === 1) return 'vence amanhã'
  if (daysLeft < 0) return `venceu há ${-daysLeft} dia${daysLeft === -1 ? '' : 's'}`
  return `vence em ${daysLeft} dias`
}

function subjectOf(facts: MessageFacts): string {
  const due = facts.dueDate ? ` (vencimento ${formatDateBr(facts.dueDate)})` : ''
  if (facts.kind === 'reminder' && facts.daysLeft !== undefined && facts.dueDate) {
    return `Lembrete: ${facts.title} ${whenDue(facts.daysLeft)} (${formatDateBr(facts.dueDate)})`
  }
  return `${facts.title} – ${facts.clientName}${due}`
}

function factLines(facts: MessageFacts): [string, string][] {
  const lines: [string, string][] = [
    ['Empresa', facts.clientName],
    ['Documento', facts.title],
  ]
  if (facts.competence) lines.push(['Competência', formatCompetenceBr(facts.competence)])
  if (facts.dueDate) lines.push(['Vencimento', formatDateBr(facts.dueDate)])
  if (facts.amountCents != null) lines.push(['Valor', formatAmount(facts.amountCents)])
  return lines
}

function opening(facts: MessageFacts): string {
  if (facts.kind === 'reminder' && facts.daysLeft !== undefined) {
    return `Lembrete: o documento abaixo ${whenDue(facts.daysLeft)} e ainda não foi aberto.`
  }
  return `${facts.firmName} enviou um documento para ${facts.clientName}.`
}

function signature(facts: MessageFacts): string[] {
  const phone = facts.firmPhone ? [`Telefone: ${formatBrazilianPhone(facts.firmPhone)}`] : []
  return [facts.firmName, ...phone]
}

/** The subject, plain text and HTML of one e-mail. */
export function composeEmail(facts: MessageFacts): ComposedMessage {
  const lines = factLines(facts)
  const text = [
    'Olá,',
    '',
    opening(facts),
    '',
    ...lines.map(([k, v]) => `${k}: ${v}`),
    '',
    'Para abrir e baixar o documento, acesse:',
    facts.link,
    '',
    'Se o link não abrir, copie e cole o endereço no navegador.',
    '',
    ...signature(facts),
  ].join('\n')
  const html = `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(subjectOf(facts))}</title></head>
<body style="font-family: Arial, sans-serif; color: #222; line-height: 1.5">
<p>Olá,</p>
<p>${esc(opening(facts))}</p>
<table role="presentation" style="border-collapse: collapse">
${lines.map(([k, v]) => `<tr><th align="left" style="padding: 2px 12px 2px 0">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}
</table>
<p><a href="${esc(facts.link)}">Abrir o documento</a></p>
<p style="font-size: 0.9em; color: #555">Se o link não abrir, copie e cole no navegador: ${esc(facts.link)}</p>
<p>${signature(facts).map(esc).join('<br>')}</p>
</body></html>`
  return { subject: subjectOf(facts), text, html }
}

/** The text of a WhatsApp message: the firm, the title, the due date and the link. */
export function composeWhatsAppText(facts: Omit<MessageFacts, 'kind' | 'firmPhone'>): string {
  const due = facts.dueDate ? ` Vencimento: ${formatDateBr(facts.dueDate)}.` : ''
  return `Olá! ${facts.firmName} enviou "${facts.title}" para ${facts.clientName}.${due} Acesse: ${facts.link}`
}

/** `https://wa.me/5511987654321?text=...`: opens WhatsApp with the text ready to send. */
export function whatsAppLink(e164: string, text: string): string {
  return `https://wa.me/${e164.replace(/^\+/, '')}?text=${encodeURIComponent(text)}`
}

/** A Message-ID chosen once per message, in the firm's domain. */
export function newMessageId(mailFrom: string): string {
  const domain = mailFromAddress(mailFrom).split('@')[1] ?? 'confi.invalid'
  return `<confi.${randomBytes(16).toString('hex')}@${domain}>`
}

/** Text made safe inside HTML (elements and attribute values). */
export function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

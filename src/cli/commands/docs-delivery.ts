import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { UsageError } from '../main.js'
import { formatTime } from '../output.js'

// `confi docs send` by e-mail and WhatsApp, `docs pending` and `docs status`: the delivery loop
// (issue 10). Registered from registerDocs.

export interface SendOptions {
  channel: string
  to?: string
  expires?: string
  json?: boolean
}

/** `confi docs send DOC --channel email|whatsapp|link`. */
export async function sendDocument(context: CliContext, ref: string, options: SendOptions): Promise<void> {
  if (options.channel !== 'link' && !options.to) {
    throw new UsageError(`--channel ${options.channel} needs --to: the ${options.channel === 'email' ? 'e-mail address' : 'phone number'} it goes to`)
  }
  const { resolveDocument, createDelivery, parseDuration } = await import('../../core/documents/deliveries.js').then(
    async (deliveries) => ({ ...deliveries, ...(await import('../../core/documents/documents.js')) }),
  )
  const { addSeconds, nowIso } = await import('../../core/time.js')
  const expiresAt = options.expires ? addSeconds(nowIso(), parseDuration(options.expires)) : null
  const db = await context.db()
  const document = await resolveDocument(db, ref)
  if (options.channel === 'email') return sendEmail(context, document.id, options.to as string, expiresAt, options.json)
  const { delivery, url } = await createDelivery(db, context.secretKey(), context.actor, {
    documentId: document.id,
    channel: options.channel,
    recipient: options.to,
    expiresAt,
  })
  const until = delivery.expiresAt ? `, expires ${formatTime(delivery.expiresAt)}` : ''
  if (delivery.channel === 'whatsapp') {
    const { getFirmOptions } = await import('../../core/clients/firm.js')
    const { composeWhatsAppText, whatsAppLink } = await import('../../core/mail/messages.js')
    const firm = await getFirmOptions(db)
    const text = composeWhatsAppText({ ...document, firmName: firm.firmName, link: url })
    const whatsappUrl = whatsAppLink(delivery.recipient as string, text)
    if (options.json) return context.out.json({ ...delivery, url, whatsappUrl })
    context.out.line(whatsappUrl)
    context.out.note(`delivery ${delivery.id} (whatsapp to ${delivery.recipient}${until}): open the link to send the message; revoke with 'confi docs revoke ${delivery.id}'`)
    return
  }
  if (options.json) return context.out.json({ ...delivery, url })
  context.out.line(url)
  const to = delivery.recipient ? ` to ${delivery.recipient}` : ''
  context.out.note(`delivery ${delivery.id} (${delivery.channel}${to}${until}); revoke with 'confi docs revoke ${delivery.id}'`)
}

async function sendEmail(context: CliContext, documentId: number, to: string, expiresAt: string | null, json?: boolean) {
  const { sendDocumentByEmail } = await import('../../core/mail/document-mail.js')
  const { smtpSettingsFromEnv } = await import('../../core/mail/smtp.js')
  const db = await context.db()
  const result = await sendDocumentByEmail(db, context.secretKey(), context.actor, {
    documentId,
    to,
    expiresAt,
    smtp: smtpSettingsFromEnv(context.deps.env),
  })
  if (json) return context.out.json({ ...result.delivery, url: result.url, outboxId: result.outboxId })
  context.out.line(`queued e-mail ${result.outboxId} to ${result.delivery.recipient} with ${result.url}`)
  context.out.note(`delivery ${result.delivery.id}; 'confi outbox run' (or a running 'confi serve') sends it; revoke with 'confi docs revoke ${result.delivery.id}'`)
}

/** Checks, before a document is added with --notify, that e-mail can go out; returns the hook. */
export async function notifyHook(context: CliContext) {
  const { requireMailReady, notifyNewDocument } = await import('../../core/mail/document-mail.js')
  const { smtpSettingsFromEnv } = await import('../../core/mail/smtp.js')
  const { actorLabel } = await import('../../core/audit/events.js')
  const db = await context.db()
  const firm = await requireMailReady(db, smtpSettingsFromEnv(context.deps.env))
  const createdBy = await actorLabel(db, context.actor)
  const counter = { notified: 0 }
  return {
    counter,
    inTransaction: async (trx: typeof db, document: Parameters<typeof notifyNewDocument>[2]) => {
      counter.notified = await notifyNewDocument(trx, firm, document, createdBy)
    },
  }
}

/** `docs pending` and `docs status`. */
export function registerDocsDelivery(docs: Command, context: CliContext): void {
  void docs
  void context
}

import { Option, type Command } from 'commander'
import { addSeconds, nowIso } from '../../core/time.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'
import { formatTime, DEFAULT_TIME_ZONE } from '../output.js'
import { timeZone } from './parse.js'
import { countOf } from '../../core/plural.js'

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
  const { createDelivery, parseDuration } = await import('../../core/delivery/index.js')
  const { resolveDocument } = await import('../../core/documents/index.js')

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
    const { getFirmOptions } = await import('../../core/clients/index.js')
    const { composeWhatsAppText, whatsAppLink } = await import('../../core/mail/index.js')
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
  const { sendDocumentByEmail, smtpSettingsFromEnv } = await import('../../core/mail/index.js')
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

/** The firm's sender for filing with --notify, checked before anything is filed: e-mail can go out. */
export async function notificationSender(context: CliContext) {
  const { requireMailReady, smtpSettingsFromEnv } = await import('../../core/mail/index.js')
  return requireMailReady(await context.db(), smtpSettingsFromEnv(context.deps.env))
}

/** The note after filing with --notify: how many e-mails wait in the outbox. */
export function notifiedNote(notified: number): string {
  return `queued ${notified} notification e-mail${notified === 1 ? '' : 's'}`
}

/** `docs pending` and `docs status`. */
export function registerDocsDelivery(docs: Command, context: CliContext): void {
  docs
    .command('pending')
    .description('documents due soon or overdue that nobody of the client has opened yet')
    .option('--due-within <days>', 'due within this many days, e.g. 3d', '7d')
    .option('--overdue-for <days>', 'also overdue ones up to this many days past due, e.g. 365d', '30d')
    .option('--client <client>', 'only this client (id or CNPJ/CPF)')
    .option('--include-paid', 'also guides marked paid (with the day they were paid)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--json', 'print JSON for scripts (same as --format json)')
    .addHelpText('after', '\nExamples:\n  $ confi docs pending --due-within 3d\n  $ confi docs pending --overdue-for 365d --format csv > em-aberto.csv')
    .action(async (options: { dueWithin: string; overdueFor: string; client?: string; includePaid?: boolean; format: string; json?: boolean }) => {
      const { listPending, parseDueWithin, parseOverdueFor } = await import('../../core/delivery/index.js')
      const { resolveClient, formatTaxId } = await import('../../core/clients/index.js')
      const db = await context.db()
      const clientId = options.client ? (await resolveClient(db, options.client)).id : undefined
      const withinDays = parseDueWithin(options.dueWithin)
      const overdueDays = parseOverdueFor(options.overdueFor)
      const includePaid = Boolean(options.includePaid)
      const pending = await listPending(db, { withinDays, overdueDays, clientId, includePaid })
      const format = options.json ? 'json' : options.format
      if (format === 'json') return context.out.json(pending)
      if (format === 'csv') return writeCsv(context, pending, includePaid)
      const paidColumn = { header: 'Paid', value: (p: (typeof pending)[number]) => p.paidOn ?? '' }
      context.out.table(
        pending,
        [
          { header: 'Doc', value: (p) => p.documentId },
          { header: 'Client', value: (p) => `${formatTaxId(p.clientTaxId)} ${p.clientName}` },
          { header: 'Title', value: (p) => p.title },
          { header: 'Due', value: (p) => p.dueDate },
          { header: 'Days left', value: (p) => (p.daysLeft < 0 ? `${p.daysLeft} (overdue)` : p.daysLeft) },
          { header: 'Deliveries', value: (p) => (p.deliveries ? `${p.deliveries} (${p.channels.join(', ')})` : 'none') },
          { header: 'Last reminder', value: (p) => formatTime(p.lastReminderAt) },
          ...(includePaid ? [paidColumn] : []),
        ],
        `nothing pending: every document due in the window or overdue by up to ${overdueDays} days was opened`,
      )
    })

  docs
    .command('status')
    .description("a document's delivery timeline: e-mails, reminders, first view and download")
    .argument('<doc>', 'document id')
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs status 7')
    .action(async (ref: string, options: { tz: string; json?: boolean }) => {
      const { documentStatus } = await import('../../core/delivery/index.js')
      const { resolveDocument } = await import('../../core/documents/index.js')
      const db = await context.db()
      const status = await documentStatus(db, (await resolveDocument(db, ref)).id)
      if (options.json) return context.out.json(status)
      printStatus(context, status, options.tz)
    })
}

type Status = Awaited<ReturnType<typeof import('../../core/delivery/index.js').documentStatus>>
type Access = Status['users'][number]['firstView']
type Mail = Status['notifications'][number]

function accessText(access: Access, tz: string): string {
  if (!access) return 'not yet'
  return `${formatTime(access.at, tz)} by ${access.username ?? 'someone without login'} (${access.channel})`
}

function mailText(mail: Mail, tz: string): string {
  const what = mail.kind === 'reminder' ? 'reminder' : 'e-mail'
  if (mail.status === 'sent') return `${what} to ${mail.recipient} accepted ${formatTime(mail.sentAt, tz)}: ${mail.serverReply}`
  if (mail.status === 'failed') return `${what} to ${mail.recipient} FAILED: ${mail.serverReply ?? mail.lastError}`
  const retry = mail.lastError ? ` (${countOf(mail.attempts, 'attempt')}, last: ${mail.lastError})` : ''
  return `${what} to ${mail.recipient} queued ${formatTime(mail.createdAt, tz)}${retry}`
}

function printStatus(context: CliContext, status: Status, tz: string): void {
  const { document } = status
  const due = document.dueDate ? `, due ${document.dueDate}` : ''
  context.out.line(`document ${document.id}: ${document.title} (${document.clientName}${due})`)
  if (status.deliveries.length === 0 && status.notifications.length === 0) context.out.line('  not sent yet')
  for (const d of status.deliveries) {
    const to = d.recipient ? ` to ${d.recipient}` : ''
    context.out.line(`delivery ${d.id} (${d.channel}${to}): created ${formatTime(d.createdAt, tz)} by ${d.createdBy}${d.revokedAt ? `, revoked ${formatTime(d.revokedAt, tz)}` : ''}`)
    for (const mail of d.mails) context.out.line(`  ${mailText(mail, tz)}`)
    context.out.line(`  first view: ${accessText(d.firstView, tz)}`)
    context.out.line(`  first download: ${accessText(d.firstDownload, tz)}`)
  }
  if (status.notifications.length > 0) context.out.line('portal notifications:')
  for (const mail of status.notifications) context.out.line(`  ${mailText(mail, tz)}`)
  context.out.line(status.users.length > 0 ? 'client users:' : 'client users: nobody logged in has opened it')
  for (const u of status.users) {
    context.out.line(`  ${u.username} (${u.name}): view ${accessText(u.firstView, tz)}; download ${accessText(u.firstDownload, tz)}`)
  }
  // Only a guide (a document with a due date) is ever paid.
  if (document.dueDate) context.out.line(paymentText(status.payment, tz))
  const { hold } = status
  if (hold) context.out.line(`legal hold since ${formatTime(hold.heldAt, tz)} by ${hold.heldBy}: ${hold.reason} (retention keeps it; confi docs release ${document.id})`)
}

function paymentText(payment: Status['payment'], tz: string): string {
  if (!payment) return 'paid: not marked'
  const who = payment.user ? `${payment.user.username} (${payment.user.name}) in the portal` : payment.markedBy
  const proof = payment.proofUploadId === null ? 'no proof' : `proof: upload ${payment.proofUploadId}`
  return `paid on ${payment.paidOn}: marked ${formatTime(payment.markedAt, tz)} by ${who}; ${proof}`
}

// The paid_on column only with --include-paid: without it every row would have it empty.
async function writeCsv(context: CliContext, pending: Awaited<ReturnType<typeof import('../../core/delivery/index.js').listPending>>, includePaid: boolean) {
  const { csvCell } = await import('../../core/access-log/index.js')
  const header = ['document_id', 'client_tax_id', 'client_name', 'title', 'due_date', 'days_left', 'deliveries', 'channels', 'last_reminder_at']
  const lines = [[...header, ...(includePaid ? ['paid_on'] : [])].join(',')]
  for (const p of pending) {
    const cells = [p.documentId, p.clientTaxId, p.clientName, p.title, p.dueDate, p.daysLeft, p.deliveries, p.channels.join(' '), p.lastReminderAt]
    lines.push([...cells, ...(includePaid ? [p.paidOn] : [])].map((v) => csvCell(v)).join(','))
  }
  const { escapeUnsafeInLines } = await import('../../core/text-input.js')
  context.deps.stdout.write(`${escapeUnsafeInLines(lines.join('\r\n'))}\r\n`)
}

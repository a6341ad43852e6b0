import { formatTaxId } from '../clients/tax-id.js'
import { takeLock, type Db } from '../db/database.js'
import { newMessageId } from '../mail/messages.js'
import { enqueueMail } from '../mail/outbox.js'
import { formatDateBr } from '../mail/messages.js'
import { addSeconds, localDate, nowIso } from '../time.js'

// The e-mails of uploads (docs/uploads.md, "E-mails"): the firm's inbox hears of each upload, in
// one digest per window; the client's people hear the firm's decision.

/**
 * How long an inbox e-mail waits for more uploads: an upload arriving while the firm's previous
 * inbox e-mail still waits joins it (one digest), instead of a message of its own.
 */
export const INBOX_DIGEST_SECONDS = 5 * 60

interface UploadFacts {
  id: number
  clientName: string
  clientTaxId: string
  requestTitle: string | null
  category: string | null
  note: string | null
  files: number
  bytes: number
}

/**
 * The uploads an inbox e-mail lists in full; the rest of its window are counted ("e mais N
 * envios"). A burst of a thousand uploads then costs each of them the same small rebuild instead
 * of one that grows with the window (docs/decisions.md, "The inbox digest lists 50 uploads").
 */
export const DIGEST_LISTED = 50

interface Digest {
  listed: UploadFacts[]
  total: number
}

// toId null: every upload from fromId on that this transaction sees. A digest is built so: on
// PostgreSQL a concurrent upload may hold a lower id yet take the lock later, and must still find
// the uploads committed meanwhile with higher ids.
async function digestOf(trx: Db, fromId: number, toId: number | null): Promise<Digest> {
  const counted = await trx
    .selectFrom('uploads')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', '>=', fromId)
    .$if(toId !== null, (q) => q.where('id', '<=', toId!))
    .executeTakeFirstOrThrow()
  const rows = await trx
    .selectFrom('uploads')
    .innerJoin('clients', 'clients.id', 'uploads.client_id')
    .leftJoin('requests', 'requests.id', 'uploads.request_id')
    .select(['uploads.id', 'clients.name', 'clients.tax_id', 'requests.title', 'uploads.category', 'uploads.note'])
    .where('uploads.id', '>=', fromId)
    .$if(toId !== null, (q) => q.where('uploads.id', '<=', toId!))
    .orderBy('uploads.id')
    .limit(DIGEST_LISTED)
    .execute()
  if (rows.length === 0) return { listed: [], total: Number(counted.n) }
  const sizes = await trx
    .selectFrom('upload_files')
    .select(['upload_id', (eb) => eb.fn.countAll<number>().as('files'), (eb) => eb.fn.sum<number>('size').as('bytes')])
    .where('upload_id', 'in', rows.map((r) => Number(r.id)))
    .groupBy('upload_id')
    .execute()
  const sizeOf = new Map(sizes.map((s) => [Number(s.upload_id), s]))
  const listed = rows.map((r) => {
    const size = sizeOf.get(Number(r.id))
    return {
      id: Number(r.id),
      clientName: r.name,
      clientTaxId: r.tax_id,
      requestTitle: r.title,
      category: r.category,
      note: r.note,
      files: Number(size?.files ?? 0),
      bytes: Number(size?.bytes ?? 0),
    }
  })
  return { listed, total: Math.max(Number(counted.n), listed.length) }
}

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** `1,2 MB` / `340 KB`, as the firm reads sizes. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} MB`
  return `${Math.max(1, Math.round(bytes / 1024))} KB`
}

function uploadLines(u: UploadFacts): string[] {
  const what = u.requestTitle ? `pedido "${u.requestTitle}"` : `envio avulso${u.category ? ` (${u.category})` : ''}`
  const lines = [
    `Envio ${u.id}: ${u.clientName} (${formatTaxId(u.clientTaxId)})`,
    `  ${what}; ${u.files} arquivo${u.files === 1 ? '' : 's'}, ${formatSize(u.bytes)}`,
  ]
  if (u.note) lines.push(`  Nota: ${u.note.replace(/\n/g, ' ')}`)
  lines.push(`  Baixar: confi inbox get ${u.id} --output <pasta>`)
  return lines
}

function inboxMessage(firmName: string, { listed: uploads, total }: Digest): { subject: string; text: string; html: string } {
  const subject =
    total === 1
      ? `Novo envio de ${uploads[0].clientName} (${uploads[0].files} arquivo${uploads[0].files === 1 ? '' : 's'})`
      : `${total} novos envios de clientes`
  const blocks = uploads.map(uploadLines)
  const rest = total - uploads.length
  if (rest > 0) blocks.push([`E mais ${rest} envio${rest === 1 ? '' : 's'} nesta janela.`])
  const text = [`${firmName}: o que os clientes enviaram.`, '', ...blocks.flatMap((b) => [...b, '']), 'Lista completa: confi inbox list'].join('\n')
  const html = `<!DOCTYPE html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(subject)}</title></head>
<body>
<p>${esc(firmName)}: o que os clientes enviaram.</p>
${blocks.map((b) => `<p>${b.map(esc).join('<br>\n')}</p>`).join('\n')}
<p>Lista completa: <code>confi inbox list</code></p>
</body></html>
`
  return { subject, text, html }
}

/**
 * Tells the firm's inbox (firm_options.inbox_email) of upload `uploadId`, inside its transaction:
 * joins the inbox e-mail still waiting its window, or queues a new one that waits
 * INBOX_DIGEST_SECONDS. Nothing when the firm set no inbox address or no sender. Returns the
 * outbox row's id, or null.
 */
export async function queueInboxMail(trx: Db, uploadId: number): Promise<number | null> {
  const firm = await trx.selectFrom('firm_options').select(['firm_name', 'inbox_email', 'mail_from']).where('id', '=', 1).executeTakeFirst()
  if (!firm?.inbox_email || !firm.mail_from) return null
  // One writer at a time decides whether a waiting e-mail takes this upload.
  await takeLock(trx, 'inbox-mail')
  const now = nowIso()
  const waiting = await trx
    .selectFrom('outbox')
    .select(['id', 'upload_id'])
    .where('kind', '=', 'inbox')
    .where('status', '=', 'queued')
    .where('recipient', '=', firm.inbox_email)
    .where('attempts', '=', 0)
    .where('lease_owner', 'is', null)
    .where('next_attempt_at', '>', now)
    .orderBy('id')
    .executeTakeFirst()
  if (waiting?.upload_id != null) {
    const message = inboxMessage(firm.firm_name, await digestOf(trx, Number(waiting.upload_id), null))
    // Still unclaimed by a sender (the conditions again, atomically): else a message of its own.
    const result = await trx
      .updateTable('outbox')
      .set({ subject: message.subject, body_text: message.text, body_html: message.html })
      .where('id', '=', waiting.id)
      .where('status', '=', 'queued')
      .where('attempts', '=', 0)
      .where('lease_owner', 'is', null)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) === 1) return Number(waiting.id)
  }
  const message = inboxMessage(firm.firm_name, await digestOf(trx, uploadId, uploadId))
  return enqueueMail(trx, {
    kind: 'inbox',
    documentId: null,
    deliveryId: null,
    uploadId,
    recipient: firm.inbox_email,
    mailFrom: firm.mail_from,
    messageId: newMessageId(firm.mail_from),
    ...message,
    createdBy: 'portal',
    sendAfter: addSeconds(now, INBOX_DIGEST_SECONDS),
  })
}

/**
 * Tells the client's people (the sender and the active administrators of the sender's client,
 * each address once) the firm's decision on upload `uploadId`, inside its transaction. Nothing
 * when the firm has no sender set. Returns how many e-mails were queued.
 */
export async function queueAnswerMails(trx: Db, uploadId: number, createdBy: string): Promise<number> {
  const firm = await trx.selectFrom('firm_options').select(['firm_name', 'base_url', 'mail_from']).where('id', '=', 1).executeTakeFirst()
  if (!firm?.mail_from) return 0
  const upload = await trx
    .selectFrom('uploads')
    .innerJoin('client_users', 'client_users.id', 'uploads.user_id')
    .leftJoin('requests', 'requests.id', 'uploads.request_id')
    .select(['uploads.id', 'uploads.status', 'uploads.status_note', 'uploads.created_at', 'client_users.client_id', 'client_users.email', 'client_users.status as user_status', 'requests.title'])
    .where('uploads.id', '=', uploadId)
    .executeTakeFirstOrThrow()
  const admins = await trx
    .selectFrom('client_users')
    .select('email')
    .where('client_id', '=', upload.client_id)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .where('email', 'is not', null)
    .orderBy('id')
    .execute()
  const addresses = [upload.user_status === 'active' ? upload.email : null, ...admins.map((a) => a.email)]
  const recipients = [...new Map(addresses.filter((a): a is string => !!a).map((a) => [a.toLowerCase(), a])).values()]
  const accepted = upload.status === 'accepted'
  const what = upload.title ? `"${upload.title}"` : `de ${formatDateBr(localDate(new Date(upload.created_at)))}`
  const subject = accepted ? `Envio ${what} aceito` : `Envio ${what} recusado: envie de novo`
  const link = `${firm.base_url}/envios/${uploadId}`
  const lines = accepted
    ? [`${firm.firm_name} recebeu e aceitou os arquivos do envio ${what}.`]
    : [`${firm.firm_name} não pôde aceitar os arquivos do envio ${what}.`, `Motivo: ${upload.status_note ?? ''}`, 'Envie os arquivos de novo pela Área do Cliente.']
  const text = [...lines, '', `Veja o envio: ${link}`].join('\n')
  const html = `<!DOCTYPE html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(subject)}</title></head>
<body>
${lines.map((l) => `<p>${esc(l)}</p>`).join('\n')}
<p><a href="${esc(link)}">Ver o envio na Área do Cliente</a></p>
</body></html>
`
  for (const recipient of recipients) {
    await enqueueMail(trx, {
      kind: 'answer',
      documentId: null,
      deliveryId: null,
      uploadId,
      recipient,
      mailFrom: firm.mail_from,
      messageId: newMessageId(firm.mail_from),
      subject,
      text,
      html,
      createdBy,
    })
  }
  return recipients.length
}

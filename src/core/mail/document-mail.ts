import { assertAccountant, type Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import { normaliseEmail } from '../clients/email-address.js'
import { getFirmOptions, type FirmOptions } from '../clients/firm.js'
import type { Db } from '../db/database.js'
import { deliveryToken, deliveryUrl, getDelivery, insertDelivery, type Delivery } from '../delivery/deliveries.js'
import type { Document } from '../documents/documents.js'
import { ValidationError } from '../errors.js'
import { listUsers } from '../identity/users.js'
import { canSee, scopeOfFreshUser } from '../identity/visibility.js'
import type { SecretKey } from '../tokens.js'
import { composeEmail, newMessageId, type MessageKind } from './messages.js'
import { enqueueMail } from './outbox.js'
import { requireSmtp, type SmtpSettings } from './smtp.js'

// What queues the e-mails about one document: a delivery sent by e-mail (`docs send --channel
// email`) and the notification of a new document (`docs add --notify`).

/** The firm's options with the sender of its e-mails: what composing and queuing one needs. */
export type MailReadyFirm = FirmOptions & { mailFrom: string }

/** The firm's options once e-mail can go out: SMTP configured and a sender address set. */
export async function requireMailReady(db: Db, smtp: SmtpSettings | null): Promise<MailReadyFirm> {
  requireSmtp(smtp)
  const firm = await getFirmOptions(db)
  if (!firm.mailFrom) {
    throw new ValidationError(`set the sender of the firm's e-mails first: confi firm set --mail-from "Nome <avisos@escritorio.com.br>"`)
  }
  return { ...firm, mailFrom: firm.mailFrom }
}

/** The portal page of a document, where a logged-in user opens it. */
export function documentPageUrl(baseUrl: string, documentId: number): string {
  return `${baseUrl.replace(/\/+$/, '')}/documents/${documentId}`
}

interface QueueInput {
  kind: MessageKind
  firm: MailReadyFirm
  document: Document
  recipient: string
  link: string
  deliveryId: number | null
  createdBy: string
  daysLeft?: number
}

/** Composes and queues one e-mail about `document` inside the caller's transaction. */
export async function queueDocumentMail(trx: Db, input: QueueInput): Promise<number> {
  const { firm, document } = input
  const message = composeEmail({
    kind: input.kind,
    firmName: firm.firmName,
    firmPhone: firm.phone,
    clientName: document.clientName,
    title: document.title,
    competence: document.competence,
    dueDate: document.dueDate,
    amountCents: document.amountCents,
    link: input.link,
    daysLeft: input.daysLeft,
  })
  return enqueueMail(trx, {
    kind: input.kind,
    documentId: document.id,
    deliveryId: input.deliveryId,
    recipient: input.recipient,
    mailFrom: firm.mailFrom,
    messageId: newMessageId(firm.mailFrom),
    createdBy: input.createdBy,
    ...message,
  })
}

/**
 * Sends a document by e-mail: the delivery and its queued message commit together, or neither
 * does. Refused before anything is written when e-mail is not configured or the address is bad.
 */
export async function sendDocumentByEmail(
  db: Db,
  key: SecretKey,
  actor: Actor,
  input: { documentId: number; to: string; expiresAt?: string | null; smtp: SmtpSettings | null },
): Promise<{ delivery: Delivery; url: string; outboxId: number }> {
  assertAccountant(actor, 'send documents by e-mail')
  const recipient = normaliseEmail(input.to)
  if (!recipient) throw new ValidationError('an e-mail needs a recipient: give the address it goes to', { remedy: 'recipient' })
  const firm = await requireMailReady(db, input.smtp)
  const createdBy = await actorLabel(db, actor)
  const { deliveryId, outboxId } = await db.transaction().execute(async (trx) => {
    const { id, document } = await insertDelivery(trx, key, actor, {
      documentId: input.documentId,
      channel: 'email',
      recipient,
      expiresAt: input.expiresAt,
    })
    const link = deliveryUrl(firm.baseUrl, deliveryToken(key, id))
    const queued = await queueDocumentMail(trx, { kind: 'delivery', firm, document, recipient, link, deliveryId: id, createdBy })
    return { deliveryId: id, outboxId: queued }
  })
  return { delivery: await getDelivery(db, deliveryId), url: deliveryUrl(firm.baseUrl, deliveryToken(key, deliveryId)), outboxId }
}

/**
 * Who a new document is announced to: every active user with an e-mail of its client or of the
 * client's group head who may see it, and the client's own e-mail; each address once.
 */
export async function notificationRecipients(trx: Db, document: Document): Promise<string[]> {
  const client = await trx
    .selectFrom('clients')
    .select(['email', 'group_head_id'])
    .where('id', '=', document.clientId)
    .executeTakeFirstOrThrow()
  const clientIds = [document.clientId, ...(client.group_head_id === null ? [] : [Number(client.group_head_id)])]
  const addresses = new Map<string, string>()
  for (const clientId of clientIds) {
    for (const user of await listUsers(trx, { clientId, status: 'active' })) {
      if (!user.email) continue
      if (!canSee(await scopeOfFreshUser(trx, user), document)) continue
      addresses.set(user.email.toLowerCase(), user.email)
    }
  }
  if (client.email) addresses.set(client.email.toLowerCase(), client.email)
  return [...addresses.values()]
}

/** Queues the notification of a new document, in the transaction that adds it; returns the count. */
export async function notifyNewDocument(
  trx: Db,
  firm: MailReadyFirm,
  document: Document,
  createdBy: string,
): Promise<number> {
  const recipients = await notificationRecipients(trx, document)
  const link = documentPageUrl(firm.baseUrl, document.id)
  for (const recipient of recipients) {
    await queueDocumentMail(trx, { kind: 'notification', firm, document, recipient, link, deliveryId: null, createdBy })
  }
  return recipients.length
}

import { firstAccessesOf, type FirstAccess } from '../access-log/reads/accesses.js'
import type { Db } from '../db/database.js'
import type { OutboxTable } from '../db/tables.js'
import { listDeliveries, type Delivery } from './deliveries.js'
import { getDocument, type Document } from '../documents/documents.js'
import { getPayment, type PaymentMark } from '../documents/payments.js'
import { openHold, type Hold } from '../documents/holds.js'

// A document's delivery timeline (`confi docs status`): per delivery its e-mails, reminders,
// first view and first download; per client user their first view and download; the paid mark.

export interface MailEvent {
  outboxId: number
  kind: OutboxTable['kind']
  recipient: string
  status: 'queued' | 'sent' | 'failed'
  createdAt: string
  sentAt: string | null
  attempts: number
  serverReply: string | null
  lastError: string | null
}

export interface DeliveryTimeline extends Delivery {
  mails: MailEvent[]
  firstView: FirstAccess | null
  firstDownload: FirstAccess | null
}

export interface UserTimeline {
  userId: number
  username: string
  name: string
  firstView: FirstAccess | null
  firstDownload: FirstAccess | null
}

export interface DocumentStatus {
  document: Document
  deliveries: DeliveryTimeline[]
  /** E-mails with a portal link (notifications and their reminders). */
  notifications: MailEvent[]
  users: UserTimeline[]
  /** Who marked the guide paid, when, and the proof; null when it is not marked. */
  payment: PaymentMark | null
  /** The open legal hold (docs/privacy.md): retention never expires the document while it lasts. */
  hold: Hold | null
}

/** Everything that happened to a document since it was added, from the outbox and the access log. */
export async function documentStatus(db: Db, documentId: number): Promise<DocumentStatus> {
  const document = await getDocument(db, documentId)
  const [deliveries, mails, byDelivery, byUser, payment, hold] = await Promise.all([
    listDeliveries(db, documentId),
    mailsOf(db, documentId),
    firstAccessesOf(db, documentId, 'delivery'),
    firstAccessesOf(db, documentId, 'user'),
    getPayment(db, documentId),
    openHold(db, documentId),
  ])
  const users = await db
    .selectFrom('client_users')
    .select(['id', 'username', 'name'])
    .where('id', 'in', [0, ...byUser.keys()])
    .orderBy('id')
    .execute()
  return {
    document,
    deliveries: deliveries.map((delivery) => ({
      ...delivery,
      mails: mails.filter((m) => m.deliveryId === delivery.id).map(({ deliveryId: _, ...m }) => m),
      firstView: byDelivery.get(delivery.id)?.view ?? null,
      firstDownload: byDelivery.get(delivery.id)?.download ?? null,
    })),
    notifications: mails.filter((m) => m.deliveryId === null).map(({ deliveryId: _, ...m }) => m),
    users: users.map((u) => ({
      userId: Number(u.id),
      username: u.username,
      name: u.name,
      firstView: byUser.get(Number(u.id))?.view ?? null,
      firstDownload: byUser.get(Number(u.id))?.download ?? null,
    })),
    payment,
    hold,
  }
}

async function mailsOf(db: Db, documentId: number): Promise<(MailEvent & { deliveryId: number | null })[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['id', 'kind', 'recipient', 'status', 'created_at', 'sent_at', 'attempts', 'server_reply', 'last_error', 'delivery_id'])
    .where('document_id', '=', documentId)
    .orderBy('id')
    .execute()
  return rows.map((r) => ({
    outboxId: Number(r.id),
    kind: r.kind,
    recipient: r.recipient,
    status: r.status,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    attempts: Number(r.attempts),
    serverReply: r.server_reply,
    lastError: r.last_error,
    deliveryId: r.delivery_id === null ? null : Number(r.delivery_id),
  }))
}

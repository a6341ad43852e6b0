import type { Db } from '../db/database.js'
import type { AccessLogTable } from '../db/tables.js'
import { listDeliveries, type Delivery } from './deliveries.js'
import { getDocument, type Document } from '../documents/documents.js'

// A document's delivery timeline (`confi docs status`): per delivery its e-mails, reminders,
// first view and first download; per client user their first view and download.

export interface Access {
  at: string
  /** The username, or null for someone without a session on a link that needs no login. */
  username: string | null
  userName: string | null
  channel: AccessLogTable['channel']
}

export interface MailEvent {
  outboxId: number
  kind: 'delivery' | 'notification' | 'reminder'
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
  firstView: Access | null
  firstDownload: Access | null
}

export interface UserTimeline {
  userId: number
  username: string
  name: string
  firstView: Access | null
  firstDownload: Access | null
}

export interface DocumentStatus {
  document: Document
  deliveries: DeliveryTimeline[]
  /** E-mails with a portal link (notifications and their reminders). */
  notifications: MailEvent[]
  users: UserTimeline[]
}

/** Everything that happened to a document since it was added, from the outbox and the access log. */
export async function documentStatus(db: Db, documentId: number): Promise<DocumentStatus> {
  const document = await getDocument(db, documentId)
  const [deliveries, mails, byDelivery, byUser] = await Promise.all([
    listDeliveries(db, documentId),
    mailsOf(db, documentId),
    firstAccesses(db, documentId, 'delivery_id'),
    firstAccesses(db, documentId, 'user_id'),
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

/** The first view and first download of the document per delivery or per user. */
async function firstAccesses(
  db: Db,
  documentId: number,
  by: 'delivery_id' | 'user_id',
): Promise<Map<number, { view?: Access; download?: Access }>> {
  const firsts = await db
    .selectFrom('access_log')
    .select((eb) => [eb.fn.min('id').as('id')])
    .where('document_id', '=', documentId)
    .where(by, 'is not', null)
    .groupBy([by, 'action'])
    .execute()
  const ids = firsts.map((f) => Number(f.id))
  const result = new Map<number, { view?: Access; download?: Access }>()
  if (ids.length === 0) return result
  const rows = await db
    .selectFrom('access_log')
    .select(['at', 'username', 'user_name', 'channel', 'action', 'delivery_id', 'user_id'])
    .where('id', 'in', ids)
    .execute()
  for (const row of rows) {
    const key = Number(row[by])
    const entry = result.get(key) ?? {}
    entry[row.action] = { at: row.at, username: row.username, userName: row.user_name, channel: row.channel }
    result.set(key, entry)
  }
  return result
}

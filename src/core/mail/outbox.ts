import type { Selectable } from 'kysely'
import { assertAccountant, type Actor } from '../actors.js'
import { recordEvent } from '../audit/events.js'
import type { Db } from '../db/database.js'
import type { OutboxTable } from '../db/tables.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { addSeconds, nowIso } from '../time.js'

// The outbox: every e-mail is a row written in the transaction that causes it, then sent by the
// sender (sender.ts). Claims are leases, so several senders never send one message twice
// (docs/decisions.md, "Outbox").

export type OutboxStatus = 'queued' | 'sent' | 'failed'
/** What a message is about: a document (delivery, notification, reminder), or a request or upload (schema version 10). */
export type OutboxKind = OutboxTable['kind']
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['queued', 'sent', 'failed']

/** Temporary failures are retried this many times in all (about a day and a half), then `failed`. */
export const MAX_ATTEMPTS = 15

export interface NewMail {
  kind: OutboxKind
  documentId: number | null
  deliveryId: number | null
  /** The request or upload a message is about (schema version 10), when it is about one. */
  requestId?: number | null
  uploadId?: number | null
  recipient: string
  mailFrom: string
  messageId: string
  subject: string
  text: string
  html: string
  createdBy: string
  /** Not sent before this time (default: now); the inbox digest waits its window. */
  sendAfter?: string
}

export interface OutboxEntry {
  id: number
  kind: OutboxKind
  documentId: number | null
  deliveryId: number | null
  recipient: string
  mailFrom: string
  messageId: string
  subject: string
  status: OutboxStatus
  attempts: number
  nextAttemptAt: string
  lastError: string | null
  serverReply: string | null
  createdAt: string
  createdBy: string
  sentAt: string | null
}

export type OutboxRow = Selectable<OutboxTable>

export function toOutboxEntry(row: OutboxRow): OutboxEntry {
  return {
    id: Number(row.id),
    kind: row.kind,
    documentId: row.document_id === null ? null : Number(row.document_id),
    deliveryId: row.delivery_id === null ? null : Number(row.delivery_id),
    recipient: row.recipient,
    mailFrom: row.mail_from,
    messageId: row.message_id,
    subject: row.subject,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    serverReply: row.server_reply,
    createdAt: row.created_at,
    createdBy: row.created_by,
    sentAt: row.sent_at,
  }
}

/** Queues one e-mail; call it inside the transaction of what causes it. */
export async function enqueueMail(trx: Db, mail: NewMail): Promise<number> {
  const now = nowIso()
  const row = await trx
    .insertInto('outbox')
    .values({
      kind: mail.kind,
      document_id: mail.documentId,
      delivery_id: mail.deliveryId,
      request_id: mail.requestId ?? null,
      upload_id: mail.uploadId ?? null,
      recipient: mail.recipient,
      mail_from: mail.mailFrom,
      message_id: mail.messageId,
      subject: mail.subject,
      body_text: mail.text,
      body_html: mail.html,
      status: 'queued',
      attempts: 0,
      next_attempt_at: mail.sendAfter ?? now,
      created_at: now,
      created_by: mail.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

export function parseOutboxStatus(value: string): OutboxStatus {
  const status = value.trim().toLowerCase()
  if ((OUTBOX_STATUSES as readonly string[]).includes(status)) return status as OutboxStatus
  throw new ValidationError(`unknown outbox status '${value}': use queued, sent or failed`)
}

/** Outbox entries, newest first, optionally of one status or document: `limit` of them (200 when not given, at most 1000). */
export async function listOutbox(
  db: Db,
  filter: { status?: OutboxStatus; documentId?: number; limit?: number } = {},
): Promise<OutboxEntry[]> {
  let query = db.selectFrom('outbox').selectAll().orderBy('id', 'desc').limit(Math.min(filter.limit ?? 200, 1000))
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.documentId !== undefined) query = query.where('document_id', '=', filter.documentId)
  return (await query.execute()).map(toOutboxEntry)
}

export async function getOutboxEntry(db: Db, id: number): Promise<OutboxEntry> {
  const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFoundError(`no outbox message with id ${id}: see 'confi outbox list'`)
  return toOutboxEntry(row)
}

/** Puts a failed or waiting message back in the queue, due now. A sent one is never sent again. */
export async function retryOutbox(db: Db, actor: Actor, id: number): Promise<OutboxEntry> {
  assertAccountant(actor, 'retry e-mails')
  await db.transaction().execute(async (trx) => {
    const entry = await getOutboxEntry(trx, id)
    if (entry.status === 'sent') {
      throw new ConflictError(`message ${id} was accepted by the mail server at ${entry.sentAt}; it is never sent twice`)
    }
    await trx
      .updateTable('outbox')
      .set({ status: 'queued', attempts: 0, next_attempt_at: nowIso(), lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .execute()
    await recordEvent(trx, { actor, action: 'outbox.retried', details: { outboxId: id, documentId: entry.documentId } })
  })
  return getOutboxEntry(db, id)
}

/**
 * Claims one due message for `owner` until the lease ends: a compare-and-set on the row, so of
 * two senders racing for it exactly one wins, on both backends.
 */
export async function claimDueMessage(db: Db, owner: string, leaseSeconds: number): Promise<OutboxRow | null> {
  const now = nowIso()
  const candidates = await db
    .selectFrom('outbox')
    .select('id')
    .where('status', '=', 'queued')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(20)
    .execute()
  for (const { id } of candidates) {
    const result = await db
      .updateTable('outbox')
      .set({ lease_owner: owner, lease_until: addSeconds(now, leaseSeconds) })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) === 1) {
      return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    }
  }
  return null
}

/** Minutes before attempt `attempts + 1`: 1, 2, 4, ... up to 4 hours. */
export function retryDelayMinutes(attempts: number): number {
  return Math.min(2 ** Math.max(attempts - 1, 0), 240)
}

/** Records the server's acceptance: the message is never sent again. */
export async function markSent(db: Db, row: OutboxRow, reply: string): Promise<void> {
  const now = nowIso()
  await db
    .updateTable('outbox')
    .set({
      status: 'sent',
      sent_at: now,
      server_reply: reply,
      attempts: Number(row.attempts) + 1,
      lease_owner: null,
      lease_until: null,
    })
    .where('id', '=', Number(row.id))
    .execute()
}

/** A temporary failure: due again after a growing delay, or `failed` after MAX_ATTEMPTS. */
export async function markTemporaryFailure(db: Db, row: OutboxRow, reply: string): Promise<OutboxStatus> {
  const attempts = Number(row.attempts) + 1
  if (attempts >= MAX_ATTEMPTS) {
    await markFailed(db, row, `gave up after ${attempts} attempts: ${reply}`)
    return 'failed'
  }
  await db
    .updateTable('outbox')
    .set({
      attempts,
      last_error: reply,
      next_attempt_at: addSeconds(nowIso(), retryDelayMinutes(attempts) * 60),
      lease_owner: null,
      lease_until: null,
    })
    .where('id', '=', Number(row.id))
    .where('status', '=', 'queued')
    .execute()
  return 'queued'
}

/** A permanent refusal: `failed`, with the server's reply. */
export async function markFailed(db: Db, row: OutboxRow, reply: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set({
      status: 'failed',
      attempts: Number(row.attempts) + 1,
      last_error: reply,
      server_reply: reply,
      lease_owner: null,
      lease_until: null,
    })
    .where('id', '=', Number(row.id))
    .where('status', '=', 'queued')
    .execute()
}

export async function countQueued(db: Db): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'queued')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

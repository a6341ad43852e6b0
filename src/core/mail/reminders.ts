import { neverOpened } from '../access-log/reads/opened.js'
import { assertAccountant, type Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import { getFirmOptions } from '../clients/firm.js'
import type { Db } from '../db/database.js'
import { addDays, daysBetween, localDate } from '../time.js'
import { deliveryToken, deliveryUrl } from '../delivery/deliveries.js'
import { getDocument } from '../documents/documents.js'
import { notPaid } from '../documents/payments.js'
import { nowIso } from '../time.js'
import type { SecretKey } from '../tokens.js'
import { documentPageUrl, queueDocumentMail, requireMailReady } from './document-mail.js'
import type { SmtpSettings } from './smtp.js'

// Reminders before a due date to the e-mail recipients of documents nobody of the client has
// opened yet; each (document, recipient, day) at most once (docs/decisions.md, "Reminder days and who is reminded").

export interface PlannedReminder {
  documentId: number
  title: string
  clientName: string
  dueDate: string
  daysBefore: number
  recipient: string
  /** The delivery whose link the reminder repeats; null: the portal page. */
  deliveryId: number | null
}

export interface ReminderRun {
  today: string
  /** Queued now (or, with dryRun, that would be). */
  reminders: (PlannedReminder & { outboxId: number | null })[]
}

/** Documents due on one of the reminder days, never opened nor marked paid, with the reminders still owed. */
export async function planReminders(db: Db, today = localDate()): Promise<PlannedReminder[]> {
  const { reminderDays } = await getFirmOptions(db)
  const dueDates = reminderDays.map((d) => addDays(today, d))
  const documents = await db
    .selectFrom('documents')
    .innerJoin('clients', 'clients.id', 'documents.client_id')
    .select(['documents.id', 'documents.title', 'documents.due_date', 'clients.name as client_name'])
    .where('documents.due_date', 'in', dueDates)
    .where('documents.expired_at', 'is', null)
    .where(neverOpened())
    .where(notPaid())
    .orderBy('documents.due_date')
    .orderBy('documents.id')
    .execute()
  const ids = documents.map((d) => Number(d.id))
  const sent = await alreadyReminded(db, ids)
  const targets = await reminderTargets(db, ids)
  const planned: PlannedReminder[] = []
  for (const document of documents) {
    const documentId = Number(document.id)
    const dueDate = document.due_date as string
    const daysBefore = daysBetween(today, dueDate)
    const done = sent.get(`${documentId}:${daysBefore}`)
    for (const target of targets.get(documentId) ?? []) {
      if (done?.has(target.recipient.toLowerCase())) continue
      planned.push({ documentId, title: document.title, clientName: document.client_name, dueDate, daysBefore, ...target })
    }
  }
  return planned
}

// A few thousand documents can be due on a reminder day in a large firm: their reminders and
// e-mails are read 500 documents a query, not two queries each (docs/performance.md, "Scale").
const CHUNK = 500

function chunks(ids: number[]): number[][] {
  const out: number[][] = []
  for (let i = 0; i < ids.length; i += CHUNK) out.push(ids.slice(i, i + CHUNK))
  return out
}

/** The recipients already reminded, by `documentId:daysBefore`. */
async function alreadyReminded(db: Db, documentIds: number[]): Promise<Map<string, Set<string>>> {
  const sent = new Map<string, Set<string>>()
  for (const ids of chunks(documentIds)) {
    const rows = await db
      .selectFrom('reminders_sent')
      .select(['document_id', 'days_before', 'recipient'])
      .where('document_id', 'in', ids)
      .execute()
    for (const row of rows) {
      const key = `${Number(row.document_id)}:${Number(row.days_before)}`
      const set = sent.get(key) ?? new Set<string>()
      set.add(row.recipient)
      sent.set(key, set)
    }
  }
  return sent
}

type Target = { recipient: string; deliveryId: number | null }

/**
 * Everyone an e-mail about each document went to, once each: with the link of their newest
 * still-working delivery, else the portal page when they were notified; a recipient whose only
 * links were revoked or expired is not reminded.
 */
async function reminderTargets(db: Db, documentIds: number[]): Promise<Map<number, Target[]>> {
  const now = nowIso()
  const byDocument = new Map<number, Map<string, Target>>()
  for (const ids of chunks(documentIds)) {
    const rows = await db
      .selectFrom('outbox')
      .leftJoin('deliveries', 'deliveries.id', 'outbox.delivery_id')
      .select(['outbox.document_id', 'outbox.recipient', 'outbox.kind', 'outbox.delivery_id', 'deliveries.revoked_at', 'deliveries.expires_at'])
      .where('outbox.document_id', 'in', ids)
      .where('outbox.kind', 'in', ['delivery', 'notification'])
      .orderBy('outbox.id')
      .execute()
    for (const row of rows) {
      const documentId = Number(row.document_id)
      const targets = byDocument.get(documentId) ?? new Map<string, Target>()
      byDocument.set(documentId, targets)
      const key = row.recipient.toLowerCase()
      if (row.kind === 'notification') {
        if (!targets.has(key)) targets.set(key, { recipient: row.recipient, deliveryId: null })
        continue
      }
      const usable = !row.revoked_at && !(row.expires_at && row.expires_at <= now)
      if (usable) targets.set(key, { recipient: row.recipient, deliveryId: Number(row.delivery_id) })
    }
  }
  return new Map([...byDocument].map(([id, targets]) => [id, [...targets.values()]]))
}

/**
 * Queues the reminders owed today (`confi reminders run`, daily from cron). The row in
 * reminders_sent and the e-mail commit together; a concurrent run that loses the race for a row
 * queues nothing for it.
 */
export async function runReminders(
  db: Db,
  key: SecretKey,
  actor: Actor,
  options: { dryRun?: boolean; smtp: SmtpSettings | null; today?: string },
): Promise<ReminderRun> {
  assertAccountant(actor, 'send reminders')
  const today = options.today ?? localDate()
  const planned = await planReminders(db, today)
  if (options.dryRun) return { today, reminders: planned.map((p) => ({ ...p, outboxId: null })) }
  const firm = await requireMailReady(db, options.smtp)
  const createdBy = await actorLabel(db, actor)
  const reminders: ReminderRun['reminders'] = []
  for (const reminder of planned) {
    const outboxId = await db.transaction().execute(async (trx) => {
      const claimed = await trx
        .insertInto('reminders_sent')
        .values({
          document_id: reminder.documentId,
          recipient: reminder.recipient.toLowerCase(),
          days_before: reminder.daysBefore,
          outbox_id: null,
          created_at: nowIso(),
        })
        .onConflict((oc) => oc.columns(['document_id', 'recipient', 'days_before']).doNothing())
        .returning('document_id')
        .executeTakeFirst()
      if (!claimed) return null
      const document = await getDocument(trx, reminder.documentId)
      const link =
        reminder.deliveryId === null
          ? documentPageUrl(firm.baseUrl, document.id)
          : deliveryUrl(firm.baseUrl, deliveryToken(key, reminder.deliveryId))
      const id = await queueDocumentMail(trx, {
        kind: 'reminder',
        firm,
        document,
        recipient: reminder.recipient,
        link,
        deliveryId: reminder.deliveryId,
        createdBy,
        daysLeft: reminder.daysBefore,
      })
      await trx
        .updateTable('reminders_sent')
        .set({ outbox_id: id })
        .where('document_id', '=', reminder.documentId)
        .where('recipient', '=', reminder.recipient.toLowerCase())
        .where('days_before', '=', reminder.daysBefore)
        .execute()
      return id
    })
    if (outboxId !== null) reminders.push({ ...reminder, outboxId })
  }
  return { today, reminders }
}

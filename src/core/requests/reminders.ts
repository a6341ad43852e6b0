import { assertAccountant, type Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import { requireMailReady } from '../mail/document-mail.js'
import type { SmtpSettings } from '../mail/smtp.js'
import { addDays, daysBetween, localDate, nowIso } from '../time.js'
import { answerersOf } from './access.js'
import { queueRequestMail } from './request-mail.js'
import { getRequest, selectRequests, toRequests } from './requests.js'

// Reminders of open requests (docs/requests.md, "Reminders"): three days, one day and the day
// before the due date, then the day after it, to the client's people who may answer; each
// (request, recipient, day) at most once, however often `confi reminders run` runs.

/** Days before the due date on which an open request is reminded; -1 is the day after it. */
export const REQUEST_REMINDER_DAYS = [3, 1, 0, -1] as const

export interface PlannedRequestReminder {
  requestId: number
  title: string
  clientName: string
  dueDate: string
  daysBefore: number
  recipient: string
}

/** The reminders of open requests owed on `today`, not yet sent. */
export async function planRequestReminders(db: Db, today = localDate()): Promise<PlannedRequestReminder[]> {
  const dueDates = REQUEST_REMINDER_DAYS.map((d) => addDays(today, d))
  const rows = await selectRequests(db)
    .where('requests.status', '=', 'open')
    .where('requests.due_date', 'in', dueDates)
    .orderBy('requests.due_date')
    .orderBy('requests.id')
    .execute()
  const planned: PlannedRequestReminder[] = []
  for (const request of await toRequests(db, rows)) {
    const daysBefore = daysBetween(today, request.dueDate)
    const sent = await db
      .selectFrom('request_reminders_sent')
      .select('recipient')
      .where('request_id', '=', request.id)
      .where('days_before', '=', daysBefore)
      .execute()
    const done = new Set(sent.map((s) => s.recipient))
    for (const { email } of await answerersOf(db, request)) {
      if (done.has(email.toLowerCase())) continue
      planned.push({ requestId: request.id, title: request.title, clientName: request.clientName, dueDate: request.dueDate, daysBefore, recipient: email })
    }
  }
  return planned
}

export interface RequestReminderRun {
  today: string
  reminders: (PlannedRequestReminder & { outboxId: number | null })[]
}

/**
 * Queues today's request reminders (with `confi reminders run`). The request_reminders_sent row
 * and the e-mail commit together; of two concurrent runs only one claims each row. A request
 * answered meanwhile is skipped.
 */
export async function runRequestReminders(
  db: Db,
  actor: Actor,
  options: { dryRun?: boolean; smtp: SmtpSettings | null; today?: string },
): Promise<RequestReminderRun> {
  assertAccountant(actor, 'send reminders')
  const today = options.today ?? localDate()
  const planned = await planRequestReminders(db, today)
  if (options.dryRun) return { today, reminders: planned.map((p) => ({ ...p, outboxId: null })) }
  if (planned.length === 0) return { today, reminders: [] }
  const firm = await requireMailReady(db, options.smtp)
  const createdBy = await actorLabel(db, actor)
  const reminders: RequestReminderRun['reminders'] = []
  for (const reminder of planned) {
    const outboxId = await db.transaction().execute(async (trx) => {
      const request = await getRequest(trx, reminder.requestId)
      if (request.status !== 'open') return null
      const recipient = reminder.recipient.toLowerCase()
      const claimed = await trx
        .insertInto('request_reminders_sent')
        .values({ request_id: reminder.requestId, recipient, days_before: reminder.daysBefore, outbox_id: null, created_at: nowIso() })
        .onConflict((oc) => oc.columns(['request_id', 'recipient', 'days_before']).doNothing())
        .returning('request_id')
        .executeTakeFirst()
      if (!claimed) return null
      const id = await queueRequestMail(trx, {
        firm,
        request,
        recipient: reminder.recipient,
        createdBy,
        mail: { kind: 'request_reminder', daysLeft: reminder.daysBefore },
      })
      await trx
        .updateTable('request_reminders_sent')
        .set({ outbox_id: id })
        .where('request_id', '=', reminder.requestId)
        .where('recipient', '=', recipient)
        .where('days_before', '=', reminder.daysBefore)
        .execute()
      return id
    })
    if (outboxId !== null) reminders.push({ ...reminder, outboxId })
  }
  return { today, reminders }
}

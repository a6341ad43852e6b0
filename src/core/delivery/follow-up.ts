// core/delivery owns the firm's follow-up of what it sent: the list of unopened documents and a
// document's delivery timeline. Reminders live in core/mail; dates in the firm's zone in time.ts.
import { neverOpened } from '../access-log/reads/opened.js'
import type { Db } from '../db/database.js'
import { OVERDUE_LOOKBACK_DAYS } from '../documents/due-soon.js'
import { notPaid, paidDates } from '../documents/payments.js'
import { ValidationError, type Remedy } from '../errors.js'
import { addDays, daysBetween, localDate } from '../time.js'

// The firm's follow-up list: documents due soon or overdue that nobody of the client opened.

export interface PendingDocument {
  documentId: number
  title: string
  clientId: number
  clientName: string
  clientTaxId: string
  dueDate: string
  /** Negative when overdue. */
  daysLeft: number
  deliveries: number
  channels: string[]
  lastReminderAt: string | null
  /** AAAA-MM-DD when the guide is marked paid (listed only with `includePaid`). */
  paidOn: string | null
}

/** Overdue documents show for this many days past their due date unless asked for more: the client area's "A vencer" window. */
export const PENDING_OVERDUE_DAYS = OVERDUE_LOOKBACK_DAYS

function parseDays(value: string, max: number, remedy: Remedy, example: string): number {
  const match = /^(\d{1,4})d?$/.exec(value.trim().toLowerCase())
  if (!match || Number(match[1]) > max) {
    throw new ValidationError(`the window '${value}' is not valid: use a number of days from 0 to ${max}, such as ${example}`, { remedy })
  }
  return Number(match[1])
}

/** `--due-within 3d`: a whole number of days, 0 to 366. */
export function parseDueWithin(value: string): number {
  return parseDays(value, 366, 'due_within', '3d')
}

/** `--overdue-for 365d`: how far back overdue documents show, 0 to 3,660 days (ten years). */
export function parseOverdueFor(value: string): number {
  return parseDays(value, 3660, 'overdue_for', '365d')
}

/**
 * Unopened documents due within `withinDays` of today (São Paulo) or overdue by at most
 * `overdueDays` (default PENDING_OVERDUE_DAYS), soonest first; guides marked paid only with
 * `includePaid`. The look-back is what keeps the
 * list an index range: without it every document ever due is probed for an access-log row
 * (docs/decisions.md, "Follow-up list").
 */
export async function listPending(
  db: Db,
  options: { withinDays: number; overdueDays?: number; clientId?: number; today?: string; includePaid?: boolean },
): Promise<PendingDocument[]> {
  const today = options.today ?? localDate()
  const overdueDays = options.overdueDays ?? PENDING_OVERDUE_DAYS
  let query = db
    .selectFrom('documents')
    .innerJoin('clients', 'clients.id', 'documents.client_id')
    .select((eb) => [
      'documents.id',
      'documents.title',
      'documents.due_date',
      'clients.id as client_id',
      'clients.name as client_name',
      'clients.tax_id as client_tax_id',
      eb
        .selectFrom('reminders_sent')
        .select((r) => r.fn.max('reminders_sent.created_at').as('at'))
        .whereRef('reminders_sent.document_id', '=', 'documents.id')
        .as('last_reminder_at'),
    ])
    .where('documents.expired_at', 'is', null)
    .where('documents.due_date', '>=', addDays(today, -overdueDays))
    .where('documents.due_date', '<=', addDays(today, options.withinDays))
    .where(neverOpened())
    .orderBy('documents.due_date')
    .orderBy('documents.id')
  if (options.clientId !== undefined) query = query.where('documents.client_id', '=', options.clientId)
  if (!options.includePaid) query = query.where(notPaid())
  const rows = await query.execute()
  const ids = rows.map((r) => Number(r.id))
  const deliveries = await deliveriesOf(db, ids)
  const paid = options.includePaid ? await paidDates(db, ids) : new Map<number, string>()
  return rows.map((row) => {
    const sent = deliveries.get(Number(row.id)) ?? []
    return {
      documentId: Number(row.id),
      title: row.title,
      clientId: Number(row.client_id),
      clientName: row.client_name,
      clientTaxId: row.client_tax_id,
      dueDate: row.due_date as string,
      daysLeft: daysBetween(today, row.due_date as string),
      deliveries: sent.length,
      channels: [...new Set(sent)],
      lastReminderAt: (row.last_reminder_at as string | null) ?? null,
      paidOn: paid.get(Number(row.id)) ?? null,
    }
  })
}

async function deliveriesOf(db: Db, documentIds: number[]): Promise<Map<number, string[]>> {
  const byDocument = new Map<number, string[]>()
  for (let i = 0; i < documentIds.length; i += 500) {
    const rows = await db
      .selectFrom('deliveries')
      .select(['document_id', 'channel'])
      .where('document_id', 'in', documentIds.slice(i, i + 500))
      .orderBy('id')
      .execute()
    for (const row of rows) {
      const list = byDocument.get(Number(row.document_id)) ?? []
      list.push(row.channel)
      byDocument.set(Number(row.document_id), list)
    }
  }
  return byDocument
}

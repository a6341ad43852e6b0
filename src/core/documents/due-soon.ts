import { neverDownloaded } from '../access-log/reads/opened.js'
import type { Db } from '../db/database.js'
import type { VisibleScope } from '../identity/visibility.js'
import { addDays, daysBetween, localDate } from '../time.js'
import type { Category } from '../categories.js'
import { listPageRows } from './list-page.js'
import { notPaid } from './payments.js'

// "A vencer" in the client area (docs/decisions.md, "Client area: due soon, new, accesses, ZIP"):
// what a user should download before it costs the company a fine.

/** Due within this many days from today (today counts as 0). */
export const DUE_SOON_DAYS = 7
/** Overdue for longer than this, a document is history, not a task (it stays in the list). */
export const OVERDUE_LOOKBACK_DAYS = 30
/** The panel shows at most this many; the list sorted by due date has the rest. */
export const DUE_SOON_LIMIT = 20

export interface DueSoonItem {
  id: number
  title: string
  clientId: number
  clientName: string
  category: Category
  dueDate: string
  /** Days from today to the due date: 0 today, negative when overdue. */
  daysLeft: number
  /** The guide's amount in centavos, when known (imported guides). */
  amountCents: number | null
}

/**
 * The documents inside `scope` due in the next DUE_SOON_DAYS days or overdue (up to
 * OVERDUE_LOOKBACK_DAYS) that nobody has downloaded yet, by any channel, nor marked paid, most
 * urgent first. A view does not count: opening the page is not having the guide in hand.
 */
export async function listDueSoon(db: Db, scope: VisibleScope, today = localDate()): Promise<DueSoonItem[]> {
  if (scope.clientIds.length === 0 || scope.categories.length === 0) return []
  // Read like a list page (list-page.ts): the probes and the order from the index alone.
  const rows = await listPageRows(db, {
    clientIds: scope.clientIds,
    categories: scope.categories,
    filter: (select) =>
      select
        .where('documents.due_date', '>=', addDays(today, -OVERDUE_LOOKBACK_DAYS))
        .where('documents.due_date', '<=', addDays(today, DUE_SOON_DAYS))
        .where(neverDownloaded())
        .where(notPaid()),
    stretches: [{ where: [], order: [{ column: 'due_date', direction: 'asc' }, { column: 'id', direction: 'asc' }] }],
    limit: DUE_SOON_LIMIT,
  })
  return rows.map((row) => ({
    id: Number(row.id),
    title: row.title,
    clientId: Number(row.client_id),
    clientName: row.client_name,
    category: row.category,
    dueDate: row.due_date!,
    daysLeft: daysBetween(today, row.due_date!),
    amountCents: row.amount_cents === null ? null : Number(row.amount_cents),
  }))
}

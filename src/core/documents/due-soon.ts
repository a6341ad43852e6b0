import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { VisibleScope } from '../identity/visibility.js'
import { now } from '../time.js'
import type { Category } from './categories.js'
import { selectDocuments } from './documents.js'

// "A vencer" in the client area (docs/decisions.md, "Client area: due soon, new, accesses, ZIP"):
// what a user should download before it costs the company a fine.

/** Brazilian due dates are days in this zone, whatever the server's zone. */
export const DUE_TIME_ZONE = 'America/Sao_Paulo'
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
}

/** Today's date (`YYYY-MM-DD`) in `zone`. */
export function localDate(at: Date = now(), zone = DUE_TIME_ZONE): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}

/** Whole days from one `YYYY-MM-DD` to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

/**
 * The documents inside `scope` due in the next DUE_SOON_DAYS days or overdue (up to
 * OVERDUE_LOOKBACK_DAYS) that nobody has downloaded yet, by any channel, most urgent first. A
 * view does not count: opening the page is not having the guide in hand.
 */
export async function listDueSoon(db: Db, scope: VisibleScope, today = localDate()): Promise<DueSoonItem[]> {
  if (scope.clientIds.length === 0 || scope.categories.length === 0) return []
  const rows = await selectDocuments(db)
    .where('documents.client_id', 'in', scope.clientIds)
    .where('documents.category', 'in', scope.categories)
    .where('documents.due_date', '>=', shiftDate(today, -OVERDUE_LOOKBACK_DAYS))
    .where('documents.due_date', '<=', shiftDate(today, DUE_SOON_DAYS))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('access_log')
            .select(sql`1`.as('one'))
            .whereRef('access_log.document_id', '=', 'documents.id')
            .where('access_log.action', '=', 'download'),
        ),
      ),
    )
    .orderBy('documents.due_date')
    .orderBy('documents.id')
    .limit(DUE_SOON_LIMIT)
    .execute()
  return rows.map((row) => ({
    id: Number(row.id),
    title: row.title,
    clientId: Number(row.client_id),
    clientName: row.client_name,
    category: row.category,
    dueDate: row.due_date!,
    daysLeft: daysBetween(today, row.due_date!),
  }))
}

// core/delivery owns the firm's follow-up of what it sent: the calendar of due dates, the list
// of unopened documents and a document's delivery timeline. Reminders live in core/mail.
import { now } from '../time.js'

/** Due dates and reminder days are counted in the firm's zone (docs/decisions.md, "Reminder days"). */
export const FIRM_TIME_ZONE = 'America/Sao_Paulo'

/** Today's date (`YYYY-MM-DD`) in São Paulo. */
export function todayInSaoPaulo(at: Date = now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: FIRM_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}

/** Whole days from `today` to `due` (negative when overdue). */
export function daysBetween(today: string, due: string): number {
  return Math.round((Date.parse(`${due}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000)
}

/** The date `days` after `today`. */
export function addDays(today: string, days: number): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

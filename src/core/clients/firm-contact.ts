import { ValidationError } from '../errors.js'
import { normaliseEmail } from './email-address.js'

// The firm's contact options of the delivery loop (issue 10): the sender of its e-mails and the
// days before a due date on which reminders go out.

export const DEFAULT_REMINDER_DAYS: readonly number[] = [3, 1, 0]

/** `Name <address>` or a bare address, checked; the display name may not break a header. */
export function parseMailFrom(input: string): string {
  const value = input.trim()
  const match = /^(.*?)\s*<([^<>]+)>$/.exec(value)
  const name = (match ? match[1] : '').replace(/^"(.*)"$/, '$1').trim()
  const address = normaliseEmail(match ? match[2] : value)
  if (!address) throw new ValidationError(`the sender '${input}' is empty: use "Nome <avisos@escritorio.com.br>"`, { remedy: 'mail_from' })
  if (/[\r\n"<>]/.test(name) || name.length > 200) {
    throw new ValidationError(`the sender '${input}' has an unusable name: use "Nome <avisos@escritorio.com.br>"`, { remedy: 'mail_from' })
  }
  return name ? `${name} <${address}>` : address
}

/** The bare address of a `Name <address>` sender. */
export function mailFromAddress(mailFrom: string): string {
  return /<([^<>]+)>$/.exec(mailFrom)?.[1] ?? mailFrom
}

/** Days before the due date, such as `3,1,0`: distinct whole numbers from 0 to 60, largest first. */
export function parseReminderDays(input: string): number[] {
  const parts = input.split(',').map((p) => p.trim()).filter((p) => p !== '')
  const days = parts.map(Number)
  if (parts.length === 0 || parts.length > 10 || !parts.every((p) => /^\d{1,2}$/.test(p)) || days.some((d) => d > 60)) {
    throw new ValidationError(
      `reminder days '${input}' are not valid: give up to 10 whole numbers of days before the due date, 0 to 60, such as 3,1,0`,
    )
  }
  return [...new Set(days)].sort((a, b) => b - a)
}

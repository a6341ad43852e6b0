import { CATEGORIES, type Category } from '../categories.js'
import { ValidationError } from '../errors.js'

// The firm's retention settings (docs/privacy.md, "Retention"): how long each category of
// document is kept, and the access log's personal fields. Parsed here, beside the other firm
// options, so `firm set` refuses a bad policy before anything is written; src/core/retention/
// applies it.

/** A period: whole years or months, or kept forever. */
export type RetentionPeriod = { years: number } | { months: number } | 'forever'

export type RetentionPolicy = Record<Category, RetentionPeriod>

export const DEFAULT_RETENTION = 'fiscal=5y,pessoal=10y,contabil=10y,societario=forever,outros=5y'
export const DEFAULT_LOG_RETENTION = '5y'

// Below these a category's own legal term would end before its documents go (docs/privacy.md):
// tax and payroll debts and books can be assessed for five years (CTN arts. 173/174), counted
// from the year after the document's date. A typo such as `fiscal=5m` must not delete tax records.
const LEAST_MONTHS: Record<Category, number> = { fiscal: 60, pessoal: 60, contabil: 60, societario: 1, outros: 1 }
// Marco Civil da Internet (Lei 12.965/2014) art. 15: access records are kept at least six months.
const LEAST_LOG_MONTHS = 6
const MOST_YEARS = 100

/** Months in a period (forever: Infinity). */
export function monthsOf(period: RetentionPeriod): number {
  if (period === 'forever') return Infinity
  return 'years' in period ? period.years * 12 : period.months
}

/** The period as written back: `5y`, `18m`, `forever`. */
export function formatPeriod(period: RetentionPeriod): string {
  if (period === 'forever') return 'forever'
  return 'years' in period ? `${period.years}y` : `${period.months}m`
}

function parsePeriod(text: string, what: string): RetentionPeriod {
  const value = text.trim().toLowerCase()
  if (value === 'forever') return 'forever'
  const match = /^(\d{1,4})([ym])$/.exec(value)
  const amount = match ? Number(match[1]) : 0
  if (!match || amount < 1 || (match[2] === 'y' ? amount : amount / 12) > MOST_YEARS) {
    throw new ValidationError(
      `${what} '${printable(text)}' is not a period: write whole years or months from 1 up to ${MOST_YEARS} years (5y, 18m) or 'forever'`,
    )
  }
  return match[2] === 'y' ? { years: amount } : { months: amount }
}

/** Control characters and overlong input are shown escaped and cut, never echoed raw to a terminal. */
function printable(text: string): string {
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)
  return shown.slice(1, -1)
}

/**
 * Parses `fiscal=5y,pessoal=10y,...`: every category exactly once, each a period of years (`y`) or
 * months (`m`) or `forever`, none below its legal floor (LEAST_MONTHS).
 */
export function parseRetentionPolicy(text: string): RetentionPolicy {
  if (text.length > 300) throw new ValidationError('the retention policy is too long: give each category once, e.g. ' + DEFAULT_RETENTION)
  const policy: Partial<RetentionPolicy> = {}
  for (const part of text.split(',')) {
    const [name, value, extra] = part.split('=')
    const category = name?.trim().toLowerCase() as Category
    if (value === undefined || extra !== undefined || !CATEGORIES.includes(category)) {
      throw new ValidationError(
        `retention '${printable(part)}' is not valid: write category=period for each of ${CATEGORIES.join(', ')}, e.g. ${DEFAULT_RETENTION}`,
      )
    }
    if (policy[category]) throw new ValidationError(`retention names ${category} twice: give each category once`)
    const period = parsePeriod(value, `retention of ${category}`)
    if (monthsOf(period) < LEAST_MONTHS[category]) {
      throw new ValidationError(
        `retention of ${category} ${formatPeriod(period)} is shorter than the law allows: keep ${category} documents at least ${LEAST_MONTHS[category] / 12} years (CTN arts. 173/174; docs/privacy.md)`,
      )
    }
    policy[category] = period
  }
  const missing = CATEGORIES.filter((c) => !policy[c])
  if (missing.length > 0) throw new ValidationError(`retention does not name ${missing.join(', ')}: give every category once, e.g. ${DEFAULT_RETENTION}`)
  return policy as RetentionPolicy
}

/** The policy in its stored form: every category in the usual order. */
export function formatRetentionPolicy(policy: RetentionPolicy): string {
  return CATEGORIES.map((c) => `${c}=${formatPeriod(policy[c])}`).join(',')
}

/** Parses the log's retention (`5y`, `6m`, not `forever`): at least six months (Marco Civil art. 15). */
export function parseLogRetention(text: string): RetentionPeriod {
  const period = parsePeriod(text, 'log retention')
  if (period === 'forever') {
    throw new ValidationError("log retention cannot be 'forever': the personal fields of the access log must go once kept long enough (LGPD art. 16); use e.g. 5y")
  }
  if (monthsOf(period) < LEAST_LOG_MONTHS) {
    throw new ValidationError(
      `log retention ${formatPeriod(period)} is too short: the Marco Civil da Internet (Lei 12.965/2014, art. 15) requires keeping access records at least 6 months; use 6m or more`,
    )
  }
  return period
}

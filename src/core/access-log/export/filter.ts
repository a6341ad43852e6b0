import { sql, type RawBuilder } from 'kysely'
import { ValidationError } from '../../errors.js'
import { zonedToEpoch } from '../../time.js'

/** Which access-log rows an export reads. */
export interface AccessLogFilters {
  clientId?: number
  documentId?: number
  userId?: number
  /** UTC ISO 8601, inclusive. */
  since?: string
  /** UTC ISO 8601, exclusive. */
  until?: string
  /** Only rows with a greater id. */
  afterId?: number
}

/**
 * The one WHERE builder every reader uses (Kysely, the SQLite fast path, PostgreSQL's COPY):
 * the filters plus `a.id <= upperBound`, as a Kysely fragment. The lower id bound is left to the
 * reader, which moves it batch by batch (`filters.afterId` is where the first batch starts).
 */
export function filterWhere(filters: AccessLogFilters, upperBound: number): RawBuilder<boolean> {
  const conditions = [sql`a.id <= ${upperBound}`]
  if (filters.clientId !== undefined) conditions.push(sql`a.client_id = ${filters.clientId}`)
  if (filters.documentId !== undefined) conditions.push(sql`a.document_id = ${filters.documentId}`)
  if (filters.userId !== undefined) conditions.push(sql`a.user_id = ${filters.userId}`)
  if (filters.since) conditions.push(sql`a.at >= ${filters.since}`)
  if (filters.until) conditions.push(sql`a.at < ${filters.until}`)
  return sql<boolean>`(${sql.join(conditions, sql` AND `)})`
}

// ---------------------------------------------------------------- time bounds and zones

/** Throws unless `zone` is an IANA time zone this Node knows. */
export function parseTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return zone
  } catch {
    throw new ValidationError(`unknown time zone '${zone}': use an IANA name such as America/Sao_Paulo or UTC`)
  }
}

/**
 * A `--since`/`--until` bound as UTC ISO. A date (`2026-11-01`) or a time without offset is read
 * in `zone`; a time with `Z` or an offset is taken as is. For `until` the bound is inclusive: a
 * date covers its whole day. Returns the exclusive upper bound for `until`.
 */
export function parseTimeBound(value: string, zone: string, which: 'since' | 'until'): string {
  const text = value.trim()
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  const local = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(text)
  let epoch: number
  if (date) {
    const fields = date.slice(1).map(Number)
    if (!realDate(fields)) throw badTime(value, which)
    epoch = zonedToEpoch(which === 'until' ? nextDay(fields) : fields, zone)
    return new Date(epoch).toISOString()
  }
  if (local) {
    const fields = local.slice(1).map((v, i) => (i === 6 && v ? Number(v.padEnd(3, '0')) : Number(v ?? 0)))
    if (!realDate(fields)) throw badTime(value, which)
    epoch = zonedToEpoch(fields, zone)
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    epoch = Date.parse(text)
  } else {
    throw badTime(value, which)
  }
  if (Number.isNaN(epoch)) throw badTime(value, which)
  return new Date(which === 'until' ? epoch + 1 : epoch).toISOString()
}

function realDate([y, m, d]: number[]): boolean {
  const date = new Date(Date.UTC(y, m - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}

function nextDay([y, m, d]: number[]): number[] {
  const date = new Date(Date.UTC(y, m - 1, d + 1))
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]
}

function badTime(value: string, which: string): ValidationError {
  return new ValidationError(
    `--${which} '${value}' is not a date or time: use YYYY-MM-DD, 'YYYY-MM-DD HH:MM' (local time) or ISO 8601 with an offset`,
  )
}

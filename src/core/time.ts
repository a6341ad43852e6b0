let clock: () => Date = () => new Date()

/** The current time; every rule that depends on time reads it here so tests can move it. */
export function now(): Date {
  return clock()
}

/** The current time as stored in the database: UTC ISO 8601 with milliseconds. */
export function nowIso(): string {
  return clock().toISOString()
}

/** Replaces the clock (tests only); returns a function that restores the real one. */
export function setClock(next: () => Date): () => void {
  clock = next
  return () => {
    clock = () => new Date()
  }
}

/** Adds seconds to an ISO time and returns ISO. */
export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString()
}

/** `value` (spaces around ignored) as `YYYY-MM-DD` when it is a real calendar date so written, else null. */
export function realDate(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim())
  if (!match) return null
  const real = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))).toISOString().startsWith(match[0])
  return real ? match[0] : null
}

/** The firm's zone: Brazilian due dates, reminder days and people's times are read in it. */
export const FIRM_TIME_ZONE = 'America/Sao_Paulo'

/** The date (`YYYY-MM-DD`) of `at` in `zone`: the date part of localTime, through its cached formatter. */
export function localDate(at: Date = now(), zone = FIRM_TIME_ZONE): string {
  return localTime(at.toISOString(), zone).slice(0, 10)
}

const localTimeFormats = new Map<string, Intl.DateTimeFormat>()

/**
 * An ISO time as `YYYY-MM-DD HH:MM:SS` in `zone`, for people. One formatter per zone: making one
 * costs far more than using it (every documents page asks).
 */
export function localTime(iso: string, zone: string): string {
  let format = localTimeFormats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    localTimeFormats.set(zone, format)
  }
  return format.format(new Date(iso))
}

// How far `zone`'s wall clock is ahead of UTC at this instant, read through localTime's formatter.
function zoneOffsetMs(epochMs: number, zone: string): number {
  const whole = Math.floor(epochMs / 1000) * 1000
  const [y, mo, d, h, mi, sec] = localTime(new Date(whole).toISOString(), zone).split(/[- :]/).map(Number)
  return Date.UTC(y, mo - 1, d, h, mi, sec) - whole
}

/** A wall-clock time in `zone` (year, month, day[, hour, minute, second, ms]) as epoch ms. */
export function zonedToEpoch(fields: number[], zone: string): number {
  const [y, mo, d, h = 0, mi = 0, s = 0, ms = 0] = fields
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms)
  // Twice: the offset at the first guess settles instants near a change of offset.
  const first = wall - zoneOffsetMs(wall, zone)
  return wall - zoneOffsetMs(first, zone)
}

/** Whole days from one `YYYY-MM-DD` to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

/** The date `days` after `date` (`YYYY-MM-DD`; negative goes back). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

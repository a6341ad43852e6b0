import type { Writable } from 'node:stream'
import Table from 'cli-table3'
import { Chalk, type ChalkInstance } from 'chalk'

export interface Column<T> {
  header: string
  value: (row: T) => string | number | null | undefined
}

/** Everything the CLI prints goes through here: tables for people, JSON for scripts. */
export class Output {
  readonly color: ChalkInstance
  constructor(
    readonly stdout: Writable,
    readonly stderr: Writable,
    colorEnabled: boolean,
  ) {
    this.color = new Chalk({ level: colorEnabled ? 1 : 0 })
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`)
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }

  /** A note for the person at the terminal; on stderr so it never mixes with data. */
  note(text: string): void {
    this.stderr.write(`${text}\n`)
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty = 'nothing to show'): void {
    if (rows.length === 0) {
      this.note(empty)
      return
    }
    const table = new Table({
      head: columns.map((c) => this.color.bold(c.header)),
      style: { head: [], border: [] },
    })
    for (const row of rows) table.push(columns.map((c) => String(c.value(row) ?? '')))
    this.line(table.toString())
  }

  /** Key–value pairs of one record, for `show` commands. */
  record(pairs: readonly [string, string | number | null | undefined][]): void {
    const width = Math.max(...pairs.map(([k]) => k.length))
    for (const [key, value] of pairs) this.line(`${this.color.bold(key.padEnd(width))}  ${value ?? ''}`)
  }
}

/** Where people's tables show times unless `--tz` says otherwise (SPEC §3). */
export const DEFAULT_TIME_ZONE = 'America/Sao_Paulo'

/** Checks an IANA time zone name from `--tz`; returns it, or null when it is unknown. */
export function checkTimeZone(zone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone })
    return zone
  } catch {
    return null
  }
}

/** A stored UTC time as people read it in `zone`: `2026-11-29 09:00`; empty for null. */
export function formatTime(iso: string | null | undefined, zone = DEFAULT_TIME_ZONE): string {
  if (!iso) return ''
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso))
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`
}

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

import type { Writable } from 'node:stream'

/**
 * The one progress line of long commands (docs import, docs verify, docs log --output, backup;
 * the scale bench imports it from dist/cli/progress.js): done of total, rate, time left, on
 * stderr, redrawn in place with \r and cleared at the end. Only on a terminal: a cron job's
 * mail or a script's captured stderr never fills with redraws (docs/decisions.md, "Export
 * speed and progress").
 */
export interface Progress {
  /** `rated` is what the rate counts when it is not `done` (import: pages while counting files). */
  update(done: number, total: number, rated?: number): void
  /** A step with nothing to count yet (backup: copying the database). */
  phase(text: string): void
  /** Clears the line; call it before printing anything else. */
  done(): void
}

export interface ProgressOptions {
  /** What `done` and `total` count, e.g. `rows`. */
  unit: string
  /** What the rate counts (default: `unit`). */
  rateUnit?: string
  /** Text before the counts, e.g. `verifying the access log: `. */
  label?: string
  /** Minimum time between two redraws (default 100 ms: at most 10 a second). */
  intervalMs?: number
  now?: () => number
}

const CLEAR = '\r\x1b[K'

/** A progress line on `stream` when it is a terminal, otherwise null (the caller skips it). */
export function progressLine(stream: Writable & { isTTY?: boolean }, options: ProgressOptions): Progress | null {
  if (!stream.isTTY) return null
  const now = options.now ?? Date.now
  const interval = options.intervalMs ?? 100
  const rateUnit = options.rateUnit ?? options.unit
  let label = options.label ?? ''
  let started = now()
  let last = -Infinity
  let shown = false
  return {
    update(done, total, rated = done) {
      const at = now()
      // The first and the last count always show; those between, at most one per interval.
      if (shown && done < total && at - last < interval) return
      last = at
      shown = true
      const seconds = Math.max((at - started) / 1000, 0.001)
      const rate = rated / seconds
      const left = done > 0 ? (seconds / done) * Math.max(total - done, 0) : NaN
      stream.write(
        `${CLEAR}${label}${count(done)}/${count(total)} ${options.unit} · ${rateText(rate)} ${rateUnit}/s · ${timeLeft(left)}`,
      )
    },
    phase(text) {
      label = `${text}: `
      started = now()
      shown = false
      stream.write(`${CLEAR}${text}…`)
    },
    done() {
      stream.write(CLEAR)
    },
  }
}

const count = (n: number) => n.toLocaleString('en')

function rateText(rate: number): string {
  return rate < 100 ? rate.toFixed(1) : Math.round(rate).toLocaleString('en')
}

function timeLeft(seconds: number): string {
  if (!Number.isFinite(seconds)) return '? s left'
  if (seconds < 90) return `${Math.round(seconds)} s left`
  return `${Math.round(seconds / 60)} min left`
}

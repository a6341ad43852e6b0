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

import { setFlagsFromString } from 'node:v8'

// How far V8 lets the old generation grow past what a full collection left, in percent, while
// `confi serve` runs (docs/performance.md, "Uploads, second pass"). With V8's own factor (about
// twice confi's ~16 MB after a collection) an upload burst kept V8 marking the whole heap, once
// every ~35 MB of bodies received against ~250 MB for a bare route; four times lets the heap
// grow to ~64 MB between collections, paid in resident memory (still under 250 MB for 16
// concurrent uploads).
export const HEAP_GROWING_PERCENT = 300

/** Sets V8's heap growing factor for the portal process; its threads share it. Idempotent. */
export function tuneCollectorForServing(): void {
  // A flag set at run time, not on the command line: a V8 flag among execArgv makes the Worker
  // threads (access log, uploads' commits) refuse to start, and NODE_OPTIONS takes no such flag.
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}

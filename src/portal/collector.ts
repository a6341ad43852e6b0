import { setFlagsFromString } from 'node:v8'

// How far V8 lets the old generation grow past what a full collection left, in percent, while
// `confi serve` runs (docs/decisions.md, "`confi serve` sets V8's heap growing factor to 300%";
// docs/performance.md, "Uploads, third pass"). With V8's own factor the next limit is about twice
// the ~16 MB a collection leaves here, and V8 starts marking well before it: under 16 concurrent
// 5 MB uploads the portal marked its whole heap once every ~35 MB of bodies received (a bare
// route: ~250 MB). At four times, one full collection every ~200 MB and about a quarter less CPU
// an upload; paid in resident memory (peak 213–236 MB in the upload bench, under its 250 MB
// target; 200% was ~10 MB less and collected twice as often).
const HEAP_GROWING_PERCENT = 300

/** Sets V8's heap growing factor for the portal process; its threads share it. Idempotent. */
export function tuneCollectorForServing(): void {
  // A flag set at run time, not on the command line: a V8 flag among execArgv makes the Worker
  // threads (access log, uploads' commits) refuse to start, and NODE_OPTIONS takes no such flag.
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}

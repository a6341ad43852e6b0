// A preload that counts V8's collections of a process's main thread, for bench:upload trials
// (docs/performance.md, "Uploads, second pass"): every 3 s it appends to GC_LOG (default
// /tmp/confi-gc.log) the pid, the script, full (major) and young (minor) collections so far,
// their main-thread pause and the heap in use. GC_TRACE='--trace-gc --trace-incremental-marking'
// also sets those V8 flags in `confi serve` (they print to its stdout; NODE_OPTIONS refuses them).
//   NODE_OPTIONS=--import=$PWD/bench/gc-count.mjs BENCH_BASE_BIN=... node bench/upload.mjs
//   for p in $(cut -d' ' -f1 /tmp/confi-gc.log | sort -u); do grep "^$p " /tmp/confi-gc.log | tail -1; done
import { appendFileSync } from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import v8 from 'node:v8'
import { isMainThread } from 'node:worker_threads'

if (isMainThread && !process.argv[1]?.endsWith('upload.mjs')) {
  const out = process.env.GC_LOG ?? '/tmp/confi-gc.log'
  const counts = { major: 0, minor: 0, ms: 0 }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major += 1
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor += 1
      counts.ms += entry.duration
    }
  }).observe({ entryTypes: ['gc'] })
  const name = process.argv.slice(1, 3).join(' ').slice(-40)
  setInterval(() => {
    const heap = v8.getHeapStatistics()
    appendFileSync(out, `${process.pid} ${name} major=${counts.major} minor=${counts.minor} pause=${counts.ms.toFixed(0)}ms heap=${(heap.used_heap_size / 1e6).toFixed(1)}MB\n`)
  }, 3000).unref()
  if (process.argv[2] === 'serve' && process.env.GC_TRACE) v8.setFlagsFromString(process.env.GC_TRACE)
}

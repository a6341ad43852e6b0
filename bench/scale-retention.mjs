// bench:scale, retention section (issue 21 part 3; kept apart from the privacy sections): the cost
// of `confi retention run` over the filled firm. Neither figure changes the cached fill: the
// nightly run measures to today, when the fill's documents (dated within the last year) are all
// still kept, so it is the scan every night pays; the dry run measures to 2100, when every
// document but the corporate ones has expired, so it is the cost of deciding and describing them
// all (files looked up in an empty store). Expiring for real (log rows, tombstones, deletions) is
// measured apart on a throwaway database (docs/performance.md, "Retention").
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accountant } from '../dist/core/actors.js'
import { runRetention } from '../dist/core/retention/run.js'
import { createDiskFileStore } from '../dist/core/storage/disk/disk-store.js'

export async function retentionTimes(db) {
  const dir = mkdtempSync(join(tmpdir(), 'confi-retention-store-'))
  try {
    const store = createDiskFileStore(dir)
    const actor = accountant('bench')
    let started = performance.now()
    const nightly = await runRetention(db, store, actor, {})
    const nightlySeconds = (performance.now() - started) / 1000
    started = performance.now()
    const decided = await runRetention(db, store, actor, { dryRun: true, today: '2100-01-01', listLimit: 0 })
    const dryRunSeconds = (performance.now() - started) / 1000
    return { nightlySeconds, nightlyExpired: nightly.expired, dryRunSeconds, dryRunExpired: decided.expired }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function retentionMarkdown(r) {
  if (!r) return ''
  return `
| Retention (\`confi retention run\`, in process) | time | documents |
| --- | --- | --- |
| Nightly run to today (nothing of the fill has expired: the scan every night pays) | **${r.nightlySeconds.toFixed(2)} s** | ${r.nightlyExpired.toLocaleString('en')} expired |
| Dry run to 2100-01-01 (every non-corporate document expired: decided and described) | **${r.dryRunSeconds.toFixed(2)} s** | ${r.dryRunExpired.toLocaleString('en')} would expire |
`
}

// The `privacy export` figure of `npm run bench:scale` (issue 21): the wall time of
// `confi privacy export --user admin1` for a person with PRIVACY_ROWS log rows in the filled log.
// The fill gives the heavy group head's admin (user 1) about half a percent of the log's rows, in
// format 1; the rest, up to the target, are appended here as format-2 accesses (values and salts
// beside them, as the portal writes now), so the export reads both formats. The top-up counts
// what is there first, so a reused database is never topped up twice.
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendInTransaction } from '../dist/core/access-log/chain/append.js'
import { personLogFootprint } from '../dist/core/access-log/reads/person.js'

/** The person's rows: 100,000 at full size (CONFI_SCALE=1), at least 1,000; BENCH_PRIVACY_ROWS overrides. */
export function privacyRows(scale) {
  return Number(process.env.BENCH_PRIVACY_ROWS ?? Math.max(1_000, Math.round(100_000 * scale)))
}

async function topUp(db, target) {
  const have = (await personLogFootprint(db, { userIds: [1], deliveryIds: [] })).rows
  const user = await db.selectFrom('client_users').select(['id', 'username', 'name']).where('id', '=', 1).executeTakeFirstOrThrow()
  const docs = await db.selectFrom('documents').select(['id', 'client_id']).where('client_id', '=', 1).orderBy('id').limit(100).execute()
  let missing = target - have
  const started = performance.now()
  while (missing > 0) {
    const batch = Math.min(2_000, missing)
    const entries = Array.from({ length: batch }, (_, i) => {
      const doc = docs[i % docs.length]
      return {
        documentId: Number(doc.id), clientId: Number(doc.client_id), user: { id: 1, username: user.username, name: user.name },
        channel: 'portal', ip: `198.51.100.${i % 250}`, port: 40_000 + (i % 20_000), userAgent: 'Mozilla/5.0 (bench)', action: 'view',
      }
    })
    await db.transaction().execute((trx) => appendInTransaction(trx, entries))
    missing -= batch
  }
  return { had: have, appendedSeconds: (performance.now() - started) / 1000 }
}

/** Median of 3 wall times (with start-up) of `confi privacy export --user <user 1>`, and the ZIP's row count. */
export async function privacyExportTime(db, env, run, bin, scale) {
  const target = privacyRows(scale)
  const { had, appendedSeconds } = await topUp(db, target)
  const user = await db.selectFrom('client_users').select('username').where('id', '=', 1).executeTakeFirstOrThrow()
  const rows = (await personLogFootprint(db, { userIds: [1], deliveryIds: [] })).rows
  const runs = []
  for (let i = 0; i < 3; i++) {
    const output = join(tmpdir(), `confi-bench-privacy-${process.pid}-${i}.zip`)
    rmSync(output, { force: true })
    try {
      const { seconds } = await run(process.execPath, [bin, 'privacy', 'export', '--user', user.username, '--output', output], env)
      runs.push(seconds)
    } finally {
      rmSync(output, { force: true })
    }
  }
  runs.sort((a, b) => a - b)
  return { rows, format1: had, appendedSeconds, seconds: runs[1] }
}

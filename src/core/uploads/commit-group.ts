import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { writeJob, type UploadCommitter, type UploadJob } from './commit.js'
import { queueInboxMail } from './mail.js'

// Group commit (docs/decisions.md, "Upload speed: uploads commit in groups"): the uploads whose
// files finished storing while the previous group was committing are written together, in one
// transaction, so a group of uploads pays one COMMIT (one fsync on SQLite synchronous=FULL, one
// WAL flush on PostgreSQL) instead of one each. Each upload keeps its own fate: its rows are
// written inside a savepoint of its own, and a refusal (a request closed meanwhile, an NF-e key
// already received, a sender disabled meanwhile) rolls back that upload alone. An upload is
// still answered only once the transaction holding its rows has committed.

/** How one job of a group ended: its upload's id, or the error it alone is refused with. */
export type JobOutcome = { uploadId: number } | { error: unknown }

// Bounds how long the first job of a group waits behind the others' rows.
const MAX_GROUP = 32

/**
 * Writes `jobs` in one transaction, each in a savepoint; then the firm's inbox e-mail once for the
 * group (queueInboxMail rebuilds the waiting digest from its first upload on, so a call for the
 * group's first and one for its last leave the same e-mail as one call per upload). A failure of
 * the transaction itself (its COMMIT, a lost connection, a full disk) rejects, for every job.
 */
export function commitGroup(db: Db, jobs: readonly UploadJob[]): Promise<JobOutcome[]> {
  return db.transaction().execute(async (trx) => {
    const outcomes: JobOutcome[] = []
    for (const job of jobs) {
      await sql`savepoint upload_job`.execute(trx)
      try {
        outcomes.push({ uploadId: await writeJob(trx, job) })
        await sql`release savepoint upload_job`.execute(trx)
      } catch (error) {
        await sql`rollback to savepoint upload_job`.execute(trx)
        await sql`release savepoint upload_job`.execute(trx)
        outcomes.push({ error })
      }
    }
    const written = outcomes.flatMap((o) => ('uploadId' in o ? [o.uploadId] : []))
    if (written.length > 0) await queueInboxMail(trx, written[0])
    if (written.length > 1) await queueInboxMail(trx, written[written.length - 1])
    return outcomes
  })
}

interface Waiting {
  job: UploadJob
  resolve: (uploadId: number) => void
  reject: (error: unknown) => void
}

/**
 * A committer that gathers jobs: the first waits for nothing, and those sent while a group is
 * being written make the next group (at most MAX_GROUP). `idle()` resolves once nothing is
 * waiting or being written (a thread's drain before it closes).
 */
export function groupingCommitter(db: Db): { commit: UploadCommitter; idle(): Promise<void> } {
  let queue: Waiting[] = []
  let running: Promise<void> | null = null

  async function writeGroups(): Promise<void> {
    // Jobs sent in this same turn of the event loop join the first group.
    await new Promise<void>((resolve) => setImmediate(resolve))
    while (queue.length > 0) {
      const group = queue.slice(0, MAX_GROUP)
      queue = queue.slice(MAX_GROUP)
      try {
        const outcomes = await commitGroup(db, group.map((w) => w.job))
        outcomes.forEach((outcome, i) => ('uploadId' in outcome ? group[i].resolve(outcome.uploadId) : group[i].reject(outcome.error)))
      } catch (error) {
        for (const waiting of group) waiting.reject(error)
      }
    }
  }

  // A job queued between the loop's last look and the end of its promise starts the next loop.
  function start(): void {
    running = writeGroups().finally(() => {
      running = null
      if (queue.length > 0) start()
    })
  }

  return {
    commit(job) {
      return new Promise<number>((resolve, reject) => {
        queue.push({ job, resolve, reject })
        if (!running) start()
      })
    },
    idle: async () => {
      while (running) await running
    },
  }
}

import { serveConnectionThread } from '../../db/connection-thread.js'
import { type AccessEntry, type RowStamp } from '../chain/row.js'
import { createStampWriter } from '../chain/append.js'

// The access-log commit thread (docs/decisions.md, "Download speed (issue 13)"): its own SQLite
// connection and the same group-commit writer the main thread used before, so the chain, the
// Merkle tree and BEGIN IMMEDIATE are exactly those of log.ts; only the fsync of
// synchronous=FULL now blocks this thread instead of the portal's event loop. Started by
// commit-thread.ts; the CLI bundle ships it as its own entry point (scripts/bundle-cli.mjs).
// Messages carry lists both ways: one message per turn of either event loop, not one per row; a
// reply carries only what the log added to the entry (id, time, hashes), which the main thread
// already holds the rest of (docs/decisions.md, "Append speed (issue 13)").

export type WorkerRequest = { entries: { id: number; entry: AccessEntry }[] }
export type WorkerOutcome =
  | { id: number; stamp: RowStamp }
  | { id: number; error: { name: string; message: string; code?: string } }
export type WorkerReply = { outcomes: WorkerOutcome[] }

function describeError(error: unknown): { name: string; message: string; code?: string } {
  const e = error as { constructor?: { name?: string }; message?: unknown; code?: unknown }
  return { name: e.constructor?.name ?? 'Error', message: String(e.message ?? error), code: e.code == null ? undefined : String(e.code) }
}

serveConnectionThread<WorkerRequest, WorkerReply>((db, reply) => {
  const writer = createStampWriter(db)
  let outbox: WorkerOutcome[] = []
  // The rows of one group commit are resolved together: their outcomes leave in one message.
  const send = (outcome: WorkerOutcome) => {
    outbox.push(outcome)
    if (outbox.length > 1) return
    queueMicrotask(() => {
      reply({ outcomes: outbox })
      outbox = []
    })
  }
  return {
    handle(message) {
      for (const { id, entry } of message.entries) {
        writer.record(entry).then(
          (stamp) => send({ id, stamp }),
          (error: unknown) => send({ id, error: describeError(error) }),
        )
      }
    },
    // Everything queued before the close is committed (or refused) before the thread ends.
    drain: () => writer.flush(),
  }
})

import { serveConnectionThread } from '../db/connection-thread.js'
import type { UploadJob } from './commit.js'
import { describeError, type SentError } from './commit-errors.js'
import { groupingCommitter } from './commit-group.js'

// The uploads' commit thread (commit-thread.ts): its own SQLite connection writes the uploads'
// rows, in groups (commit-group.ts), so the fsync of synchronous=FULL moves off the portal's event
// loop and is paid once a group. The CLI bundle ships it as its own entry point (scripts/bundle-cli.mjs).

export type WorkerRequest = { id: number; job: UploadJob }
export type WorkerReply = { id: number; uploadId: number } | { id: number; error: SentError }

serveConnectionThread<WorkerRequest, WorkerReply>((db, reply) => {
  const committer = groupingCommitter(db)
  return {
    handle(message) {
      void committer.commit(message.job).then(
        (uploadId) => reply({ id: message.id, uploadId }),
        (error: unknown) => reply({ id: message.id, error: describeError(error) }),
      )
    },
    // Every job sent before the close is committed (or refused) before the thread ends.
    drain: () => committer.idle(),
  }
})

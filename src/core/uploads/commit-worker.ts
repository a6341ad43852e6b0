import { serveConnectionThread } from '../db/connection-thread.js'
import { commitUpload, type UploadJob } from './commit.js'
import { describeError, type SentError } from './commit-errors.js'

// The uploads' commit thread (commit-thread.ts): its own SQLite connection runs commitUpload, the
// very transaction the main thread would run, so only the fsync of synchronous=FULL moves off the
// portal's event loop. The CLI bundle ships it as its own entry point (scripts/bundle-cli.mjs).

export type WorkerRequest = { id: number; job: UploadJob }
export type WorkerReply = { id: number; uploadId: number } | { id: number; error: SentError }

serveConnectionThread<WorkerRequest, WorkerReply>((db, reply) => {
  let running = Promise.resolve()
  return {
    handle(message) {
      const done = commitUpload(db, message.job).then(
        (uploadId) => reply({ id: message.id, uploadId }),
        (error: unknown) => reply({ id: message.id, error: describeError(error) }),
      )
      running = running.then(() => done)
    },
    // Every job sent before the close is committed (or refused) before the thread ends.
    drain: () => running,
  }
})

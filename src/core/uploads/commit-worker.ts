import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../db/database.js'
import { commitUpload, type UploadJob } from './commit.js'
import { describeError, type SentError } from './commit-errors.js'

// The uploads' commit thread (commit-thread.ts): its own SQLite connection runs commitUpload, the
// very transaction the main thread would run, so only the fsync of synchronous=FULL moves off the
// portal's event loop. The CLI bundle ships it as its own entry point (scripts/bundle-cli.mjs).

export type WorkerRequest = { id: number; job: UploadJob } | { close: true }
export type WorkerReply = { ready: true } | { fatal: string } | { id: number; uploadId: number } | { id: number; error: SentError }

const port = parentPort!

async function main(): Promise<void> {
  let open
  try {
    open = await openDatabase({ kind: 'sqlite', path: (workerData as { path: string }).path })
  } catch (error) {
    port.postMessage({ fatal: (error as Error).message } satisfies WorkerReply)
    return
  }
  const database = open
  let running = Promise.resolve()
  port.on('message', (message: WorkerRequest) => {
    if ('close' in message) {
      // Every job sent before the close is committed (or refused) before the thread ends.
      void running.then(() => database.close()).then(() => port.close())
      return
    }
    const done = commitUpload(database.db, message.job).then(
      (uploadId) => port.postMessage({ id: message.id, uploadId } satisfies WorkerReply),
      (error: unknown) => port.postMessage({ id: message.id, error: describeError(error) } satisfies WorkerReply),
    )
    running = running.then(() => done)
  })
  port.postMessage({ ready: true } satisfies WorkerReply)
}

void main()

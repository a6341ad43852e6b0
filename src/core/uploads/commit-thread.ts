import { Worker } from 'node:worker_threads'
import { workerFile } from '../access-log/worker-file.js'
import type { DatabaseTarget, Db } from '../db/database.js'
import { UnavailableError } from '../errors.js'
import { commitUpload, type UploadCommitter, type UploadJob } from './commit.js'
import { reviveError } from './commit-errors.js'
import type { WorkerReply, WorkerRequest } from './commit-worker.js'

// Who writes an upload's rows in `confi serve` (docs/decisions.md, "Upload speed: an upload's transaction runs in a commit thread"). On SQLite the
// COMMIT waits for an fsync (synchronous=FULL) and better-sqlite3 waits synchronously: on the
// event loop that stalled every upload still streaming for the length of a disk flush. Here a
// worker thread with its own connection runs the same transaction (commit.ts); the request still
// gets its answer only once the rows are committed. PostgreSQL's driver waits asynchronously, so
// there the main thread writes them.

/** A committer that owns a thread: `close()` waits for the jobs sent and stops it. */
export interface ClosableUploadCommitter {
  commit: UploadCommitter
  close(): Promise<void>
}

/** The committer for a long-running process (`confi serve`): a thread of its own on SQLite. */
export function startUploadCommitter(db: Db, target: DatabaseTarget): ClosableUploadCommitter {
  if (target.kind === 'sqlite') return startUploadCommitThread(target.path)
  return { commit: (job) => commitUpload(db, job), close: async () => {} }
}

interface Waiting {
  resolve: (uploadId: number) => void
  reject: (error: unknown) => void
}

/** Starts the uploads' commit thread on the SQLite file at `path`. */
export function startUploadCommitThread(path: string): ClosableUploadCommitter {
  // Node flags pass on to the thread (--cpu-prof profiles it too), except --input-type, which a
  // thread started from a file refuses.
  const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'))
  const worker = new Worker(workerFile('commit-worker', 'upload-worker', 'uploads commit worker', 'uploads'), { workerData: { path }, execArgv })
  const waiting = new Map<number, Waiting>()
  let nextId = 1
  let failure: Error | null = null
  let closing: Promise<void> | null = null
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))

  // An idle thread must not keep a process alive (a CLI command, a test); a busy one must.
  const failAll = (error: Error) => {
    failure ??= error
    for (const pending of waiting.values()) pending.reject(failure)
    waiting.clear()
    worker.unref()
  }
  worker.unref()
  worker.on('message', (reply: WorkerReply) => {
    if ('ready' in reply) return
    if ('fatal' in reply) return failAll(new UnavailableError(`the uploads' commit thread cannot open the database: ${reply.fatal}`))
    const pending = waiting.get(reply.id)
    if (!pending) return
    waiting.delete(reply.id)
    if (waiting.size === 0) worker.unref()
    if ('uploadId' in reply) pending.resolve(reply.uploadId)
    else pending.reject(reviveError(reply.error))
  })
  worker.on('error', (error) => failAll(new UnavailableError(`the uploads' commit thread failed: ${error.message}`)))
  void exited.then(() => failAll(new UnavailableError("the uploads' commit thread has stopped")))

  return {
    commit(job: UploadJob) {
      if (failure) return Promise.reject(failure)
      return new Promise<number>((resolve, reject) => {
        const id = nextId++
        waiting.set(id, { resolve, reject })
        if (waiting.size === 1) worker.ref()
        worker.postMessage({ id, job } satisfies WorkerRequest)
      })
    },
    close() {
      closing ??= (async () => {
        failure ??= new UnavailableError("the uploads' commit thread is closed")
        worker.postMessage({ close: true } satisfies WorkerRequest)
        worker.ref()
        // A thread stuck in a commit (a disk that stopped answering) must not hold shutdown forever.
        const timer = setTimeout(() => void worker.terminate(), 15_000)
        await exited
        clearTimeout(timer)
      })()
      return closing
    },
  }
}

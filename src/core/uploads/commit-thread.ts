import { startConnectionThread, workerFile } from '../db/connection-thread.js'
import type { DatabaseTarget, Db } from '../db/database.js'
import type { UploadCommitter, UploadJob } from './commit.js'
import { groupingCommitter } from './commit-group.js'
import { reviveError } from './commit-errors.js'
import type { WorkerReply, WorkerRequest } from './commit-worker.js'

// Who writes an upload's rows in `confi serve` (docs/decisions.md, "Upload speed: an upload's transaction runs in a commit thread"). On SQLite the
// COMMIT waits for an fsync (synchronous=FULL) and better-sqlite3 waits synchronously: on the
// event loop that stalled every upload still streaming for the length of a disk flush. Here a
// worker thread with its own connection runs the same transaction (commit.ts); the request still
// gets its answer only once the rows are committed. PostgreSQL's driver waits asynchronously, so
// there the main thread writes them. Both write the uploads in groups, one COMMIT a group
// (commit-group.ts).

/** A committer that owns a thread: `close()` waits for the jobs sent and stops it. */
export interface ClosableUploadCommitter {
  commit: UploadCommitter
  close(): Promise<void>
}

/** The committer for a long-running process (`confi serve`): a thread of its own on SQLite. */
export function startUploadCommitter(db: Db, target: DatabaseTarget): ClosableUploadCommitter {
  if (target.kind === 'sqlite') return startUploadCommitThread(target.path)
  const committer = groupingCommitter(db)
  return { commit: committer.commit, close: () => committer.idle() }
}

interface Waiting {
  resolve: (uploadId: number) => void
  reject: (error: unknown) => void
}

/** Starts the uploads' commit thread on the SQLite file at `path`. */
export function startUploadCommitThread(path: string): ClosableUploadCommitter {
  const waiting = new Map<number, Waiting>()
  let nextId = 1
  const thread = startConnectionThread<WorkerRequest, WorkerReply>(
    workerFile('uploads/commit-worker', 'upload-worker', 'uploads commit worker'),
    path,
    {
      thread: "the uploads' commit thread",
      cannotOpen: (reason) => `the uploads' commit thread cannot open the database: ${reason}`,
      closed: "the uploads' commit thread is closed",
    },
    (reply) => {
      const pending = waiting.get(reply.id)
      if (!pending) return
      waiting.delete(reply.id)
      if (waiting.size === 0) thread.hold(false)
      if ('uploadId' in reply) pending.resolve(reply.uploadId)
      else pending.reject(reviveError(reply.error))
    },
    (failure) => {
      for (const pending of waiting.values()) pending.reject(failure)
      waiting.clear()
      thread.hold(false)
    },
  )
  return {
    commit(job: UploadJob) {
      if (thread.failure) return Promise.reject(thread.failure)
      return new Promise<number>((resolve, reject) => {
        const id = nextId++
        waiting.set(id, { resolve, reject })
        if (waiting.size === 1) thread.hold(true)
        thread.post({ id, job })
      })
    },
    close: () => thread.close(),
  }
}

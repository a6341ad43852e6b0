import { startConnectionThread, workerFile } from '../../db/connection-thread.js'
import type { DatabaseTarget, Db } from '../../db/database.js'
import { UnavailableError, ValidationError } from '../../errors.js'
import { checkEntry, recordOf, type AccessEntry, type AccessRecord } from '../chain/row.js'
import { createAccessLogWriter, type AccessLogWriter } from '../chain/append.js'
import type { WorkerReply, WorkerRequest } from './commit-worker.js'

// The portal's access-log writer (docs/decisions.md, "Download speed (issue 13)"). On SQLite the
// commit with synchronous=FULL waits for an fsync, and better-sqlite3 waits synchronously: on the
// event loop that stalled every other request for the length of a disk flush. Here a worker thread
// owns its own connection and group-commits; a request still gets its answer only once its row
// is committed, so no byte is sent before (docs/rules.md#access-log-integrity). PostgreSQL's
// driver already waits asynchronously, so there the writer stays on the main thread.

/** A writer that owns resources: `close()` commits what is queued and stops them. */
export interface ClosableAccessLogWriter extends AccessLogWriter {
  close(): Promise<void>
}

/** The writer for a long-running process (`confi serve`): a commit thread on SQLite. */
export function startAccessLogWriter(db: Db, target: DatabaseTarget): ClosableAccessLogWriter {
  if (target.kind === 'sqlite') return startCommitThread(target.path)
  const writer = createAccessLogWriter(db)
  return { ...writer, close: () => writer.flush() }
}

interface Waiting {
  entry: AccessEntry
  resolve: (row: AccessRecord) => void
  reject: (error: unknown) => void
}

// Refusals keep their type across the thread; anything else means the log could not be written.
function reviveError(error: { name: string; message: string; code?: string }): Error {
  if (error.name === 'ValidationError') return new ValidationError(error.message)
  return Object.assign(new UnavailableError(`the access log could not be written: ${error.message}`), { cause: error })
}

/** Starts the commit thread on the SQLite file at `path`. */
export function startCommitThread(path: string): ClosableAccessLogWriter {
  const waiting = new Map<number, Waiting>()
  let nextId = 1
  let flushed: (() => void) | null = null
  // An idle thread must not keep a process alive (a CLI command, a test); a busy one must.
  const settle = () => {
    if (waiting.size > 0) return
    thread.hold(false)
    flushed?.()
    flushed = null
  }
  const thread = startConnectionThread<WorkerRequest, WorkerReply>(
    workerFile('access-log/commit/commit-worker', 'access-log-worker', 'access-log commit worker'),
    path,
    {
      thread: 'the access-log commit thread',
      cannotOpen: (reason) => `the access log cannot be opened: ${reason}`,
      closed: 'the access log writer is closed',
    },
    (reply) => {
      for (const outcome of reply.outcomes) {
        const pending = waiting.get(outcome.id)
        if (!pending) continue
        waiting.delete(outcome.id)
        if ('stamp' in outcome) pending.resolve(recordOf(pending.entry, outcome.stamp))
        else pending.reject(reviveError(outcome.error))
      }
      settle()
    },
    (failure) => {
      for (const pending of waiting.values()) pending.reject(failure)
      waiting.clear()
      settle()
    },
  )

  // The records of one turn of the event loop (the requests that arrived together) go in one message.
  let outgoing: { id: number; entry: AccessEntry }[] = []
  const sendOutgoing = () => {
    if (outgoing.length === 0) return
    thread.post({ entries: outgoing })
    outgoing = []
  }
  return {
    record(entry) {
      if (thread.failure) return Promise.reject(thread.failure)
      try {
        checkEntry(entry)
      } catch (error) {
        return Promise.reject(error)
      }
      return new Promise<AccessRecord>((resolve, reject) => {
        const id = nextId++
        waiting.set(id, { entry, resolve, reject })
        if (waiting.size === 1) thread.hold(true)
        outgoing.push({ id, entry })
        if (outgoing.length === 1) setImmediate(sendOutgoing)
      })
    },
    flush() {
      if (waiting.size === 0) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const previous = flushed
        flushed = () => {
          previous?.()
          resolve()
        }
      })
    },
    close() {
      sendOutgoing()
      return thread.close()
    },
  }
}

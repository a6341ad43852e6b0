import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../db/database.js'
import { createAccessLogWriter, type AccessEntry, type AccessRecord } from './log.js'

// The access-log commit thread (docs/decisions.md, "Download speed (issue 13)"): its own SQLite
// connection and the same group-commit writer the main thread used before, so the chain, the
// Merkle tree and BEGIN IMMEDIATE are exactly those of log.ts; only the fsync of
// synchronous=FULL now blocks this thread instead of the portal's event loop. Started by
// commit-thread.ts; the CLI bundle ships it as its own entry point (scripts/bundle-cli.mjs).

export type WorkerRequest = { id: number; entry: AccessEntry } | { close: true }
export type WorkerReply =
  | { ready: true }
  | { fatal: string }
  | { id: number; row: AccessRecord }
  | { id: number; error: { name: string; message: string; code?: string } }

const port = parentPort!
const post = (reply: WorkerReply) => port.postMessage(reply)

async function main(): Promise<void> {
  let open
  try {
    open = await openDatabase({ kind: 'sqlite', path: (workerData as { path: string }).path })
  } catch (error) {
    post({ fatal: (error as Error).message })
    return
  }
  const database = open
  const writer = createAccessLogWriter(database.db)
  port.on('message', (message: WorkerRequest) => {
    if ('close' in message) {
      // Everything queued before the close is committed (or refused) before the thread ends.
      void writer.flush().then(() => database.close()).then(() => port.close())
      return
    }
    writer.record(message.entry).then(
      (row) => post({ id: message.id, row }),
      (error: unknown) => {
        const e = error as { name?: string; constructor?: { name?: string }; message?: string; code?: unknown }
        post({
          id: message.id,
          error: { name: e.constructor?.name ?? e.name ?? 'Error', message: String(e.message ?? error), code: e.code == null ? undefined : String(e.code) },
        })
      },
    )
  })
  post({ ready: true })
}

void main()

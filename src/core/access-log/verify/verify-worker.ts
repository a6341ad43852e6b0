import { parentPort, workerData } from 'node:worker_threads'
import type { DatabaseTarget } from '../../db/handle.js'
import { openRowReader, type RowReader } from '../../db/row-reader.js'
import { checkChunk, type ChunkResult, type ChunkTask } from './check-chunk.js'
import type { ChunkStatements } from './chunk-rows.js'

// A verification thread (docs/decisions.md, "docs verify in parallel"): its own read-only
// connection, one aligned chunk of rows at a time. A chunk that is clean (ids start + 1 ... end,
// every hash and every link inside it right) is answered with what the main thread needs to join
// it: its first prev_hash, its last hash and its Merkle frontier (one hash, the subtree root, for a
// whole chunk), plus the frontier at each checkpoint size inside it. Anything else is answered
// "not clean" and the main thread walks that chunk itself, so every report keeps the wording and
// the counts of the one-row-at-a-time walk (chain-walk.ts, verifyAccessLog). Started by verify.ts; the
// CLI bundle ships it as its own entry point (scripts/bundle-cli.mjs).

export interface VerifyWorkerData {
  target: DatabaseTarget
  /** The compiled SELECTs of each format's rows (chunk-rows.ts). */
  statements: ChunkStatements
}
export type { ChunkResult, ChunkTask } from './check-chunk.js'
export type ChunkRequest = ChunkTask | { close: true }
export type ChunkReply = ChunkResult | { fatal: string }

async function main(): Promise<void> {
  const port = parentPort!
  const { target, statements } = workerData as VerifyWorkerData
  let reader: RowReader
  try {
    reader = await openRowReader(target)
  } catch (error) {
    port.postMessage({ fatal: (error as Error).message } satisfies ChunkReply)
    return
  }
  port.on('message', (request: ChunkRequest) => {
    if ('close' in request) {
      void reader.close().finally(() => port.close())
      return
    }
    checkChunk(reader, statements, request, target.kind === 'postgres').then(
      (reply) => port.postMessage(reply),
      (error: unknown) => port.postMessage({ fatal: (error as Error).message } satisfies ChunkReply),
    )
  })
}

void main()

import { parentPort, workerData } from 'node:worker_threads'
import type { DatabaseTarget } from '../../db/handle.js'
import { openRowReader, type RowReader } from '../../db/row-reader.js'
import { anyCommitmentWrongInValues } from '../chain/format-v2.js'
import { accessLogHash, canonicalFromValues } from '../chain/row.js'
import { hexWords, leafWords, nodeWords, wordsHex } from '../tree/tree-hash.js'

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
  /**
   * The compiled SELECT of the row columns, CANONICAL_FIELDS, prev_hash, hash, then V2_COLUMNS and
   * the personal values and salts beside the row (format-v2.ts, PERSONAL_VALUE_COLUMNS), for
   * `id > ? and id <= ?` in id order.
   */
  select: string
}
/** Rows `start + 1` to `end`; `sizes` are the checkpoint sizes inside. */
export type ChunkTask = { start: number; end: number; sizes: number[] }
export type ChunkRequest = ChunkTask | { close: true }
export type ChunkResult =
  | { start: number; clean: true; count: number; firstPrev: string; lastHash: string; hashes: string[]; frontiers: [number, string[]][] }
  | { start: number; clean: false }
export type ChunkReply = ChunkResult | { fatal: string }

// Rows are read this many at a time within a chunk: a batch short-lived enough to die young (8,192
// format-2 rows, twice the columns of format 1's, outlived V8's young generation and cost a third
// more in garbage collection; docs/performance.md, "bench:log:formats").
const READ_BATCH = 2048

// The chunk's Merkle frontier (merkle.ts, Frontier) on 8-word hashes (tree-hash.ts).
interface Words {
  size: number
  hashes: Int32Array[]
}

function extend(frontier: Words, leaf: Int32Array): void {
  let hash = leaf
  for (let s = frontier.size; s % 2 === 1; s = (s - 1) / 2) hash = nodeWords(frontier.hashes.pop()!, hash)
  frontier.hashes.push(hash)
  frontier.size += 1
}

async function checkChunk(reader: RowReader, select: string, start: number, end: number, sizes: number[]): Promise<ChunkResult> {
  const notClean = { start, clean: false } as const
  const wanted = new Set(sizes)
  const frontier: Words = { size: 0, hashes: [] }
  const frontiers: [number, string[]][] = []
  let firstPrev: string | null = null
  let prev: string | null = null
  const read = (from: number) => reader.rows(select, [from, Math.min(from + READ_BATCH, end)])
  let next: Promise<unknown[][]> | null = read(start)
  for (let from = start; next; from += READ_BATCH) {
    const rows = await next
    // The next read runs on the server (PostgreSQL) while this batch is hashed.
    next = from + READ_BATCH < end ? read(from + READ_BATCH) : null
    for (const v of rows) {
      const hash = v[15] as string
      if (Number(v[0]) !== start + frontier.size + 1) return notClean
      if (prev === null) firstPrev = v[14] as string
      else if (v[14] !== prev) return notClean
      if (accessLogHash(canonicalFromValues(v), v[14] as string) !== hash) return notClean
      // A personal value changed beside a v2 row: the walk in process names the row and field.
      if (Number(v[16]) === 2 && anyCommitmentWrongInValues(v)) return notClean
      extend(frontier, leafWords(hexWords(hash)))
      prev = hash
      if (wanted.has(start + frontier.size)) frontiers.push([start + frontier.size, frontier.hashes.map(wordsHex)])
    }
  }
  if (start + frontier.size !== end || firstPrev === null || prev === null) return notClean
  return { start, clean: true, count: frontier.size, firstPrev, lastHash: prev, hashes: frontier.hashes.map(wordsHex), frontiers }
}

async function main(): Promise<void> {
  const port = parentPort!
  const { target, select } = workerData as VerifyWorkerData
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
    checkChunk(reader, select, request.start, request.end, request.sizes).then(
      (reply) => port.postMessage(reply),
      (error: unknown) => port.postMessage({ fatal: (error as Error).message } satisfies ChunkReply),
    )
  })
}

void main()

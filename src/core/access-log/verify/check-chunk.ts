import type { RowReader } from '../../db/row-reader.js'
import { latin1Hex, leafOfHex, nodeOf } from '../tree/tree-hash.js'
import { V1_AT, V2_AT, v1RowRight, v2RowRight, type ChunkStatements } from './chunk-rows.js'

// What a verification thread does with one chunk (verify-worker.ts): kept apart from the thread's
// messages so that a bench can run it in process and measure its CPU a row (bench/log-formats.mjs).

/** Rows `start + 1` to `end`; `sizes` are the checkpoint sizes inside. */
export type ChunkTask = { start: number; end: number; sizes: number[] }
export type ChunkResult =
  | { start: number; clean: true; count: number; firstPrev: string; lastHash: string; hashes: string[]; frontiers: [number, string[]][] }
  | { start: number; clean: false }

// Rows are read this many at a time within a chunk, a batch short-lived enough to die young. On
// SQLite a read runs in this thread, so the next batch is read only once this one is hashed: 256
// rows a batch, one batch alive at a time, cost format 2 a seventh less CPU a row than 2,048 rows
// with the next batch read ahead (docs/performance.md, "Format 2's cost"). On PostgreSQL the
// next batch is read ahead, on the server, while this one is hashed.
const READ_BATCH = { sqlite: 256, postgres: 2048 }

// The chunk's Merkle frontier (merkle.ts, Frontier) on latin1 hashes (tree-hash.ts).
interface Latin1Frontier {
  size: number
  hashes: string[]
}

function extend(frontier: Latin1Frontier, leaf: string): void {
  let hash = leaf
  for (let s = frontier.size; s % 2 === 1; s = (s - 1) / 2) hash = nodeOf(frontier.hashes.pop()!, hash)
  frontier.hashes.push(hash)
  frontier.size += 1
}

/** A batch's rows of each format, each in id order. */
interface Batch {
  v1: unknown[][]
  v2: unknown[][]
}

// Reads rows `from + 1` to `to`: first with the statement of the format the last batch held most
// of, then, unless that gave every row, with the other. A log is one format for long runs (the
// firm switches once), so one statement a batch is the rule.
function batchReader(reader: RowReader, statements: ChunkStatements) {
  let v2First = false
  return async (from: number, to: number): Promise<Batch> => {
    const first = await reader.rows(v2First ? statements.v2 : statements.v1, [from, to])
    const other = first.length === to - from ? [] : await reader.rows(v2First ? statements.v1 : statements.v2, [from, to])
    const batch = v2First ? { v1: other, v2: first } : { v1: first, v2: other }
    v2First = batch.v2.length > batch.v1.length
    return batch
  }
}

/** Checks rows `start + 1` to `end`; `readAhead` (PostgreSQL) reads the next batch while this one is hashed. */
export async function checkChunk(reader: RowReader, statements: ChunkStatements, { start, end, sizes }: ChunkTask, readAhead: boolean): Promise<ChunkResult> {
  const notClean = { start, clean: false } as const
  const wanted = new Set(sizes)
  const frontier: Latin1Frontier = { size: 0, hashes: [] }
  const frontiers: [number, string[]][] = []
  let firstPrev: string | null = null
  let prev: string | null = null
  const batch = readAhead ? READ_BATCH.postgres : READ_BATCH.sqlite
  const readBatch = batchReader(reader, statements)
  const read = (from: number) => readBatch(from, Math.min(from + batch, end))
  let next: Promise<Batch> | null = read(start)
  for (let from = start; next; from += batch) {
    const { v1, v2 } = await next
    const more = from + batch < end
    next = readAhead && more ? read(from + batch) : null
    // The two formats' rows merged in id order; each checked by its own statement's layout.
    for (let i = 0, j = 0; i < v1.length || j < v2.length; ) {
      const takeV2 = i === v1.length || (j < v2.length && Number(v2[j][0]) < Number(v1[i][0]))
      const v = takeV2 ? v2[j++] : v1[i++]
      const at = takeV2 ? V2_AT : V1_AT
      const hash = v[at.hash] as string
      if (Number(v[0]) !== start + frontier.size + 1) return notClean
      if (prev === null) firstPrev = v[at.prevHash] as string
      else if (v[at.prevHash] !== prev) return notClean
      // A personal value changed beside a v2 row: the walk in process names the row and field.
      if (!(takeV2 ? v2RowRight(v) : v1RowRight(v))) return notClean
      extend(frontier, leafOfHex(hash))
      prev = hash
      if (wanted.has(start + frontier.size)) frontiers.push([start + frontier.size, frontier.hashes.map(latin1Hex)])
    }
    if (!readAhead && more) next = read(from + batch)
  }
  if (start + frontier.size !== end || firstPrev === null || prev === null) return notClean
  return { start, clean: true, count: frontier.size, firstPrev, lastHash: prev, hashes: frontier.hashes.map(latin1Hex), frontiers }
}

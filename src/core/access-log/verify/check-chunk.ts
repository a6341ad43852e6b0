import type { RowReader } from '../../db/row-reader.js'
import { anyCommitmentWrongInValues } from '../chain/format-v2.js'
import { accessLogHashOfValues, VALUES_FORMAT, VALUES_HASH, VALUES_PREV_HASH } from '../chain/row.js'
import { hexWords, leafWords, nodeWords, wordsHex } from '../tree/tree-hash.js'

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

/** Checks rows `start + 1` to `end`; `readAhead` (PostgreSQL) reads the next batch while this one is hashed. */
export async function checkChunk(reader: RowReader, select: string, { start, end, sizes }: ChunkTask, readAhead: boolean): Promise<ChunkResult> {
  const notClean = { start, clean: false } as const
  const wanted = new Set(sizes)
  const frontier: Words = { size: 0, hashes: [] }
  const frontiers: [number, string[]][] = []
  let firstPrev: string | null = null
  let prev: string | null = null
  const batch = readAhead ? READ_BATCH.postgres : READ_BATCH.sqlite
  const read = (from: number) => reader.rows(select, [from, Math.min(from + batch, end)])
  let next: Promise<unknown[][]> | null = read(start)
  for (let from = start; next; from += batch) {
    const rows = await next
    const more = from + batch < end
    next = readAhead && more ? read(from + batch) : null
    for (const v of rows) {
      const hash = v[VALUES_HASH] as string
      if (Number(v[0]) !== start + frontier.size + 1) return notClean
      if (prev === null) firstPrev = v[VALUES_PREV_HASH] as string
      else if (v[VALUES_PREV_HASH] !== prev) return notClean
      if (accessLogHashOfValues(v) !== hash) return notClean
      // A personal value changed beside a v2 row: the walk in process names the row and field.
      if (Number(v[VALUES_FORMAT]) === 2 && anyCommitmentWrongInValues(v)) return notClean
      extend(frontier, leafWords(hexWords(hash)))
      prev = hash
      if (wanted.has(start + frontier.size)) frontiers.push([start + frontier.size, frontier.hashes.map(wordsHex)])
    }
    if (!readAhead && more) next = read(from + batch)
  }
  if (start + frontier.size !== end || firstPrev === null || prev === null) return notClean
  return { start, clean: true, count: frontier.size, firstPrev, lastHash: prev, hashes: frontier.hashes.map(wordsHex), frontiers }
}

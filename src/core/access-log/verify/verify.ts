import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { threadExecArgv, workerFile } from '../../db/connection-thread.js'
import type { DatabaseTarget, Db } from '../../db/database.js'
import { UnavailableError } from '../../errors.js'
import { headRowId, verifyAccessLog, type ProgressCallback, type VerifyResult } from '../chain/walk.js'
import { GENESIS_HASH } from '../chain/row.js'
import { appendSubtree, emptyFrontier, extendFrontier, frontierRoot, rowLeafHash, type Frontier } from '../tree/merkle.js'
import { chunkStatements } from './chunk-rows.js'
import { IdRanges, surveyFrom, type IdRange } from './survey.js'
import type { ChunkReply, ChunkRequest, ChunkResult, ChunkTask, VerifyWorkerData } from './verify-worker.js'

// The walk behind `confi docs verify` and the backup's check: the hash chain and the Merkle tree
// over the rows, in parallel (docs/decisions.md, "docs verify in parallel"). Each thread checks
// aligned chunks of 2^k rows on a connection of its own (verify-worker.ts); an aligned chunk is
// one node of the RFC 9162 tree, so the main thread joins the chunks in id order: the link
// between them, the global frontier extended by whole subtree roots, and each checkpoint's root
// as the frontier at the chunk start followed by the chunk's own frontier at that size. A chunk
// that is not clean is walked again here, row by row, from its first row: the first failure in id
// order is then reported exactly as the sequential walk reports it.

/** The chain's verdict, the tree over the rows 1, 2, 3... up to the first missing id, and what broke. */
export interface LogWalk {
  chain: VerifyResult
  /** Over the rows with ids 1 to `frontier.size`, the longest gapless run from the start. */
  frontier: Frontier
  /** Ids missing between rows that are there. */
  gaps: IdRange[]
  /** After a break (survey.ts): rows whose contents do not give their hash, and rows whose link to the row before is wrong. */
  edited: IdRange[]
  brokenLinks: IdRange[]
  /** The largest id the log holds (0 when empty). */
  head: number
  /** The tree's root at each of the asked sizes the walk reached, in hex. */
  roots: Map<number, string>
}

export interface WalkOptions {
  /** Where the threads open their own connections; without it the walk runs on `db` alone. */
  target?: DatabaseTarget
  /** Tree sizes whose roots to compute (the checkpoints'). */
  sizes?: readonly number[]
  /**
   * Rows per chunk, a power of two (default 65,536, or down to 8,192 on a log too short to give
   * each thread four); logs shorter than one chunk (65,536 rows by default) are walked in process.
   */
  chunkSize?: number
  /** Threads (default: one per core, at most 8). */
  threads?: number
  onProgress?: ProgressCallback
}

interface WalkState {
  prevHash: string
  rows: number
  frontier: Frontier
  roots: Map<number, string>
  wanted: ReadonlySet<number>
}

const DEFAULT_CHUNK = 65_536
const MIN_CHUNK = 8192

export async function walkAccessLog(db: Db, options: WalkOptions = {}): Promise<LogWalk> {
  if (options.chunkSize !== undefined && !Number.isInteger(Math.log2(options.chunkSize))) {
    throw new RangeError(`chunk size ${options.chunkSize} is not a power of two`)
  }
  const state: WalkState = {
    prevHash: GENESIS_HASH,
    rows: 0,
    frontier: emptyFrontier(),
    roots: new Map(),
    wanted: new Set(options.sizes ?? []),
  }
  if (state.wanted.has(0)) state.roots.set(0, frontierRoot(state.frontier).toString('hex'))
  // At most 8 by default: each thread holds a database connection (PostgreSQL's default limit is 100).
  const threads = Math.max(0, options.threads ?? Math.min(availableParallelism(), 8))
  const head = await headRowId(db)
  const chunkSize = options.chunkSize ?? chunkSizeFor(head, threads)
  let from = 0
  if (options.target && threads > 0 && head >= (options.chunkSize ?? DEFAULT_CHUNK)) {
    from = await walkChunks(db, options.target, state, { head, chunkSize, threads, onProgress: options.onProgress })
  }
  return walkRows(db, state, from, options.onProgress)
}

// Halved from DEFAULT_CHUNK (not below MIN_CHUNK) until every thread has four chunks or more: three
// chunks on two threads left one idle for a third of the walk (docs/performance.md, "bench:log:formats").
function chunkSizeFor(head: number, threads: number): number {
  let size = DEFAULT_CHUNK
  while (size > MIN_CHUNK && head < 4 * threads * size) size /= 2
  return size
}

// Row by row on `db`, after row `from` whose state the chunks established (or from the start):
// the small log, a chunk that was not clean and everything after it, rows appended meanwhile.
// When the chain breaks, the survey reads the rest, so an edit is not taken for a cut end.
async function walkRows(db: Db, state: WalkState, from: number, onProgress?: ProgressCallback): Promise<LogWalk> {
  const { frontier, roots, wanted } = state
  const gaps = new IdRanges()
  let last = { id: from, hash: state.prevHash }
  const chain = await verifyAccessLog(db, {
    from: from > 0 ? { id: from, hash: state.prevHash, rows: state.rows } : undefined,
    onProgress,
    onRow(id, hash) {
      if (id !== last.id + 1) gaps.add(last.id + 1, id - 1)
      last = { id, hash }
      if (gaps.count > 0) return
      extendFrontier(frontier, rowLeafHash(hash))
      if (wanted.has(frontier.size)) roots.set(frontier.size, frontierRoot(frontier).toString('hex'))
    },
  })
  const walk = { chain, frontier, roots, edited: [] as IdRange[], brokenLinks: [] as IdRange[] }
  if (chain.ok) return { ...walk, gaps: gaps.ranges, head: last.id }
  const survey = await surveyFrom(db, { after: last.id, prevHash: last.hash, gaps, frontier, roots, wanted })
  return { ...walk, gaps: gaps.ranges, edited: survey.edited.ranges, brokenLinks: survey.brokenLinks.ranges, head: survey.head }
}

interface ChunkPlan {
  head: number
  chunkSize: number
  threads: number
  onProgress?: ProgressCallback
}

/**
 * Checks the chunks of rows 1..head on threads and joins the clean ones into `state`, in id
 * order; returns the id after which the row-by-row walk continues (head, or the start of the
 * first chunk that was not clean or did not link to the one before).
 */
async function walkChunks(db: Db, target: DatabaseTarget, state: WalkState, plan: ChunkPlan): Promise<number> {
  const statements = chunkStatements(db)
  // A checkpoint a minute is half a million sizes a year: handed out in one pass, not per chunk.
  const sizes = [...state.wanted].filter((s) => s > 0).sort((a, b) => a - b)
  const requests: ChunkTask[] = []
  let first = 0
  for (let start = 0; start < plan.head; start += plan.chunkSize) {
    const end = Math.min(start + plan.chunkSize, plan.head)
    let after = first
    while (after < sizes.length && sizes[after] <= end) after++
    requests.push({ start, end, sizes: sizes.slice(first, after) })
    first = after
  }
  const pool = startPool({ target, statements }, Math.min(plan.threads, requests.length), requests)
  try {
    for (const request of requests) {
      const reply = await pool.result(request)
      if (!join(state, reply, plan.chunkSize)) return request.start
      plan.onProgress?.(state.rows, plan.head)
    }
    return plan.head
  } finally {
    await pool.close()
  }
}

// Adds a clean chunk that links to the rows before it; false (state untouched) otherwise.
function join(state: WalkState, reply: ChunkResult, chunkSize: number): boolean {
  if (!reply.clean || reply.firstPrev !== state.prevHash) return false
  const local = reply.hashes.map((h) => Buffer.from(h, 'hex'))
  for (const [size, hashes] of reply.frontiers) {
    const at = { size, hashes: [...state.frontier.hashes, ...hashes.map((h) => Buffer.from(h, 'hex'))] }
    state.roots.set(size, frontierRoot(at).toString('hex'))
  }
  if (reply.count === chunkSize) appendSubtree(state.frontier, Math.log2(chunkSize), local[0])
  else state.frontier = { size: state.frontier.size + reply.count, hashes: [...state.frontier.hashes, ...local] }
  state.rows += reply.count
  state.prevHash = reply.lastHash
  return true
}

interface Pool {
  /** The reply for `request`, once a thread has checked it. */
  result(request: ChunkTask): Promise<ChunkResult>
  close(): Promise<void>
}

// Each thread holds one chunk at a time and takes the next when it answers; replies wait here
// until the main thread joins them in order (a reply is a few hashes, so memory stays flat).
function startPool(data: VerifyWorkerData, count: number, requests: ChunkTask[]): Pool {
  const file = workerFile('access-log/verify/verify-worker', 'verify-worker', 'access-log verification worker')
  const execArgv = threadExecArgv()
  const waiting = new Map<number, { resolve: (reply: ChunkResult) => void; reject: (error: Error) => void }>()
  const replies = new Map<number, ChunkResult>()
  let failure: Error | null = null
  let next = 0
  const fail = (error: Error) => {
    failure ??= error
    for (const w of waiting.values()) w.reject(failure)
    waiting.clear()
  }
  const exits: Promise<void>[] = []
  const workers = Array.from({ length: count }, () => {
    const worker = new Worker(file, { workerData: data, execArgv })
    exits.push(new Promise((resolve) => worker.once('exit', () => resolve())))
    const give = () => {
      if (next < requests.length && !failure) worker.postMessage(requests[next++])
    }
    worker.on('message', (reply: ChunkReply) => {
      if ('fatal' in reply) return fail(new UnavailableError(`the access log cannot be read: ${reply.fatal}`))
      give()
      const w = waiting.get(reply.start)
      if (w) {
        waiting.delete(reply.start)
        w.resolve(reply)
      } else replies.set(reply.start, reply)
    })
    worker.on('error', (error) => fail(new UnavailableError(`an access-log verification thread failed: ${error.message}`)))
    worker.on('exit', () => fail(new UnavailableError('an access-log verification thread stopped')))
    give()
    return worker
  })
  return {
    result(request) {
      const start = request.start
      const ready = replies.get(start)
      if (ready) {
        replies.delete(start)
        return Promise.resolve(ready)
      }
      if (failure) return Promise.reject(failure)
      return new Promise((resolve, reject) => waiting.set(start, { resolve, reject }))
    },
    async close() {
      failure ??= new UnavailableError('the verification is over')
      for (const worker of workers) worker.postMessage({ close: true } satisfies ChunkRequest)
      // A thread stuck in a read (a server that stopped answering) must not hold the command forever.
      const timer = setTimeout(() => workers.forEach((worker) => void worker.terminate()), 10_000)
      await Promise.all(exits)
      clearTimeout(timer)
    },
  }
}

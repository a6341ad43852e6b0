import type { Db } from '../db/database.js'
import type { DatabaseTarget } from '../db/handle.js'
import type { ProgressCallback } from '../access-log/chain/walk.js'
import { appendCheckpoint, listCheckpoints, type Checkpoint, type CheckpointBody } from '../access-log/checkpoints/checkpoints.js'
import { rowHashOf } from '../access-log/reads/rows.js'
import { walkAccessLog } from '../access-log/verify/verify.js'
import { verifySignature, type PublicKeyInfo, type SigningKeys } from './keys.js'

// Checkpoints: signed tree heads of the access log (docs/receipts.md#checkpoints), and the
// verification that uses them to see what a hash chain alone cannot: rows cut from its end. The
// access log stores them (core/access-log/checkpoints); signing and checking them is this module's.

/** The text a checkpoint's signature covers: five lines, each ending in a newline (docs/receipts.md). */
export function checkpointText(c: CheckpointBody): string {
  return `confi access-log checkpoint v1\nsize ${c.treeSize}\nroot ${c.rootHash}\ntime ${c.at}\nkey ${c.keyId}\n`
}

/**
 * Signs the current head of the log. With `onlyIfGrown`, writes nothing (returns null) when the
 * newest checkpoint already covers every row: `confi serve` runs this every minute, on every
 * instance, and the lock makes them agree.
 */
export async function createCheckpoint(
  db: Db,
  keys: SigningKeys,
  options: { onlyIfGrown?: boolean } = {},
): Promise<Checkpoint | null> {
  return appendCheckpoint(db, { keyId: keys.current.id, sign: (body) => keys.sign(checkpointText(body)) }, options)
}

/** Why a checkpoint cannot be trusted, or null when its signature holds under a known key. */
export function checkSignature(checkpoint: Checkpoint, keys: readonly PublicKeyInfo[]): string | null {
  const key = keys.find((k) => k.id === checkpoint.keyId)
  if (!key) return `checkpoint ${checkpoint.id} is signed by key ${checkpoint.keyId}, which is not in the signing key file`
  if (!verifySignature(key.publicKey, checkpointText(checkpoint), checkpoint.signature)) {
    return `checkpoint ${checkpoint.id} has a bad signature: it was changed after it was signed`
  }
  return null
}

const idRange = (from: number, to: number) => (from === to ? `row ${from} is` : `rows ${from} to ${to} are`)

export interface LogVerification {
  ok: boolean
  rows: number
  lastId: number
  lastHash: string
  checkpoints: number
  newest: Checkpoint | null
  /** One sentence per problem found; empty when ok. */
  problems: string[]
  /** Row ids a checkpoint (or --expect-head) covers that the log no longer holds. */
  lostIds: { from: number; to: number } | null
}

/**
 * `confi docs verify`: the chain, every checkpoint's signature, that each checkpoint's root is the
 * root of the rows up to its size, and that no row a checkpoint (or `expectHead`, a head kept
 * elsewhere) covers is gone. One pass over the log, constant memory apart from the checkpoints.
 */
export async function verifyLogWithCheckpoints(
  db: Db,
  keys: readonly PublicKeyInfo[],
  options: {
    expectHead?: { id: number; hash: string }
    onProgress?: ProgressCallback
    /** Where the database is: the walk then runs on threads (core/access-log/verify/verify.ts). */
    target?: DatabaseTarget
    chunkSize?: number
    threads?: number
  } = {},
): Promise<LogVerification> {
  const checkpoints = await listCheckpoints(db)
  const problems: string[] = []
  for (const checkpoint of checkpoints) {
    const problem = checkSignature(checkpoint, keys)
    if (problem) problems.push(problem)
  }
  // Checkpoints first, then the walk reads the head: every checkpoint read covers rows it will see.
  const { target, chunkSize, threads, onProgress } = options
  const walk = await walkAccessLog(db, { target, chunkSize, threads, onProgress, sizes: checkpoints.map((c) => c.treeSize) })
  for (const c of checkpoints) {
    const root = walk.roots.get(c.treeSize)
    if (root !== undefined && root !== c.rootHash) {
      problems.push(
        `checkpoint ${c.id} (${c.treeSize} rows, signed ${c.at}) does not match the rows: a row up to id ${c.treeSize} was changed since`,
      )
    }
  }
  const { chain, gap } = walk
  if (!chain.ok) {
    problems.unshift(`access log broken at row ${chain.rowId}: ${chain.reason} (${chain.rows} rows before it verify)`)
  }
  if (gap !== null) problems.push(`row ${gap} is missing from the middle of the log: ids must run 1, 2, 3... without gaps`)
  const lastId = walk.frontier.size
  const lastHash = chain.ok ? chain.lastHash : ''
  let lostTo = 0
  const newest = checkpoints.at(-1) ?? null
  if (newest && newest.treeSize > lastId) {
    lostTo = newest.treeSize
    problems.push(
      `${idRange(lastId + 1, newest.treeSize)} missing: checkpoint ${newest.id} signed ${newest.at} covers ${newest.treeSize} rows and the log ends at row ${lastId} (its end was cut)`,
    )
  }
  const expect = options.expectHead
  if (expect) {
    const hash = await rowHashOf(db, expect.id)
    if (hash === null) {
      lostTo = Math.max(lostTo, expect.id)
      problems.push(`row ${expect.id} of the expected head is missing: rows ${lastId + 1} to ${expect.id} were cut, or the database was restored from an older copy`)
    } else if (!hash.startsWith(expect.hash.toLowerCase())) {
      problems.push(`row ${expect.id} has hash ${hash}, not the expected ${expect.hash}: the log was rewritten or restored from another copy`)
    }
  }
  return {
    ok: problems.length === 0,
    rows: chain.rows,
    lastId,
    lastHash,
    checkpoints: checkpoints.length,
    newest,
    problems,
    lostIds: lostTo > lastId ? { from: lastId + 1, to: lostTo } : null,
  }
}

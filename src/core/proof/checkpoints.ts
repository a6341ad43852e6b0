import { takeLock, type Db } from '../db/database.js'
import { nowIso } from '../time.js'
import type { DatabaseTarget } from '../db/handle.js'
import type { ProgressCallback } from '../access-log/chain/walk.js'
import { syncTreeIn } from '../access-log/tree/merkle.js'
import { walkAccessLog } from '../access-log/verify/verify.js'
import { verifySignature, type PublicKeyInfo, type SigningKeys } from './keys.js'

// Checkpoints: signed tree heads of the access log (docs/receipts.md#checkpoints), and the
// verification that uses them to see what a hash chain alone cannot: rows cut from its end.

export interface Checkpoint {
  id: number
  treeSize: number
  rootHash: string
  at: string
  keyId: string
  signature: string
}

/** The text a checkpoint's signature covers: five lines, each ending in a newline (docs/receipts.md). */
export function checkpointText(c: Pick<Checkpoint, 'treeSize' | 'rootHash' | 'at' | 'keyId'>): string {
  return `confi access-log checkpoint v1\nsize ${c.treeSize}\nroot ${c.rootHash}\ntime ${c.at}\nkey ${c.keyId}\n`
}

type CheckpointRow = { id: number; tree_size: number; root_hash: string; at: string; key_id: string; signature: string }

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    id: Number(row.id),
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash,
    at: row.at,
    keyId: row.key_id,
    signature: row.signature,
  }
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
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, 'access-log')
    const tree = await syncTreeIn(trx)
    const last = await latestCheckpoint(trx)
    if (options.onlyIfGrown && (tree.size === 0 || (last && last.treeSize >= tree.size))) return null
    const body = { treeSize: tree.size, rootHash: tree.root, at: nowIso(), keyId: keys.current.id }
    const signature = keys.sign(checkpointText(body))
    const row = await trx
      .insertInto('checkpoints')
      .values({ tree_size: body.treeSize, root_hash: body.rootHash, at: body.at, key_id: body.keyId, signature })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { id: Number(row.id), ...body, signature }
  })
}

export async function latestCheckpoint(db: Db): Promise<Checkpoint | null> {
  const row = await db.selectFrom('checkpoints').selectAll().orderBy('tree_size', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? toCheckpoint(row) : null
}

/** The oldest checkpoint that covers row `id` (tree size at least id), if any. */
export async function checkpointCovering(db: Db, id: number): Promise<Checkpoint | null> {
  const row = await db.selectFrom('checkpoints').selectAll().where('tree_size', '>=', id).orderBy('tree_size').orderBy('id').limit(1).executeTakeFirst()
  return row ? toCheckpoint(row) : null
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
  const rows = await db.selectFrom('checkpoints').selectAll().orderBy('tree_size').orderBy('id').execute()
  const checkpoints = rows.map(toCheckpoint)
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
    const row = await db.selectFrom('access_log').select('hash').where('id', '=', expect.id).executeTakeFirst()
    if (!row) {
      lostTo = Math.max(lostTo, expect.id)
      problems.push(`row ${expect.id} of the expected head is missing: rows ${lastId + 1} to ${expect.id} were cut, or the database was restored from an older copy`)
    } else if (!row.hash.startsWith(expect.hash.toLowerCase())) {
      problems.push(`row ${expect.id} has hash ${row.hash}, not the expected ${expect.hash}: the log was rewritten or restored from another copy`)
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

import { takeLock, type Db } from '../../db/database.js'
import { nowIso } from '../../time.js'
import { syncTreeIn } from '../tree/merkle.js'

// The stored checkpoints: signed heads of the log's Merkle tree (docs/receipts.md#checkpoints).
// Signing them is core/proof's; this module keeps them.

export interface Checkpoint {
  id: number
  treeSize: number
  rootHash: string
  at: string
  keyId: string
  signature: string
}

/** What a checkpoint's signature covers. */
export type CheckpointBody = Pick<Checkpoint, 'treeSize' | 'rootHash' | 'at' | 'keyId'>

/** Who signs new checkpoints: the key's id and its signature of a body. */
export interface CheckpointSigner {
  keyId: string
  sign(body: CheckpointBody): string
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
 * Signs and stores the current head of the log. With `onlyIfGrown`, writes nothing (returns null)
 * when the newest checkpoint already covers every row: `confi serve` runs this every minute, on
 * every instance, and the lock makes them agree.
 */
export async function appendCheckpoint(
  db: Db,
  signer: CheckpointSigner,
  options: { onlyIfGrown?: boolean } = {},
): Promise<Checkpoint | null> {
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, 'access-log')
    const tree = await syncTreeIn(trx)
    const last = await latestCheckpoint(trx)
    if (options.onlyIfGrown && (tree.size === 0 || (last && last.treeSize >= tree.size))) return null
    const body = { treeSize: tree.size, rootHash: tree.root, at: nowIso(), keyId: signer.keyId }
    const signature = signer.sign(body)
    const row = await trx
      .insertInto('checkpoints')
      .values({ tree_size: body.treeSize, root_hash: body.rootHash, at: body.at, key_id: body.keyId, signature })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { id: Number(row.id), ...body, signature }
  })
}

/** The newest checkpoint (the largest tree, the last signed of that size), if any. */
export async function latestCheckpoint(db: Db): Promise<Checkpoint | null> {
  const row = await db.selectFrom('checkpoints').selectAll().orderBy('tree_size', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? toCheckpoint(row) : null
}

/** The first checkpoint signed that covers row `id` (the smallest tree of at least `id` rows), if any. */
export async function firstCheckpointCovering(db: Db, id: number): Promise<Checkpoint | null> {
  const row = await db.selectFrom('checkpoints').selectAll().where('tree_size', '>=', id).orderBy('tree_size').orderBy('id').limit(1).executeTakeFirst()
  return row ? toCheckpoint(row) : null
}

/** The newest checkpoint of exactly `size` rows, if one was signed. */
export async function checkpointOfSize(db: Db, size: number): Promise<Checkpoint | null> {
  const row = await db.selectFrom('checkpoints').selectAll().where('tree_size', '=', size).orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? toCheckpoint(row) : null
}

/** Every checkpoint, oldest first. */
export async function listCheckpoints(db: Db): Promise<Checkpoint[]> {
  const rows = await db.selectFrom('checkpoints').selectAll().orderBy('tree_size').orderBy('id').execute()
  return rows.map(toCheckpoint)
}

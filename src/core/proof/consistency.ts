import type { Db } from '../db/database.js'
import { headRowId } from '../access-log/chain/walk.js'
import { checkpointOfSize, latestCheckpoint, type Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import { consistencyProof, databaseSource, subtreeHash, verifyConsistency } from '../access-log/tree/merkle.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { checkpointText } from './checkpoints.js'

// Consistency proofs (RFC 9162 2.1.4) between two sizes of the log's tree: that the log of TO rows
// extends the log of FROM rows, so a checkpoint kept from a receipt or an e-mail last year can be
// proven to be a prefix of today's log (docs/receipts.md#consistency-proofs). Read-only: it reads
// the stored tree and, for subtrees under 16 leaves, the rows' hashes.

/** A tree size, its root, and the checkpoint that signed it (with its signed text), when there is one. */
export interface TreeHead {
  size: number
  root: string
  checkpoint: (Checkpoint & { signedText: string }) | null
}

export interface ConsistencyAnswer {
  from: TreeHead
  to: TreeHead
  /** PROOF(from, D[to]), hex, in the RFC's order; empty when the sizes are equal. */
  proof: string[]
}

const signed = (c: Checkpoint | null) => (c ? { ...c, signedText: checkpointText(c) } : null)

/** The newest checkpoint with its signed text, or null when none was signed yet. */
export async function newestSignedCheckpoint(db: Db): Promise<(Checkpoint & { signedText: string }) | null> {
  return signed(await latestCheckpoint(db))
}

/**
 * The consistency proof from `from` rows to `to` rows (default: the newest checkpoint's size).
 * Refuses sizes that are not whole numbers from 1 (ValidationError), a size beyond the log
 * (NotFoundError), and a signed root the rows no longer give (ConflictError): a proof that could
 * not verify against the firm's own checkpoint would only mislead.
 */
export async function consistencyBetween(db: Db, from: number, to?: number): Promise<ConsistencyAnswer> {
  if (!Number.isSafeInteger(from) || from < 1) throw new ValidationError(`FROM must be a tree size of 1 or more rows, not '${from}'`)
  if (to !== undefined && (!Number.isSafeInteger(to) || to < 1)) throw new ValidationError(`TO must be a tree size of 1 or more rows, not '${to}'`)
  let size = to
  if (size === undefined) {
    const newest = await latestCheckpoint(db)
    if (!newest || newest.treeSize === 0) throw new NotFoundError('no checkpoint yet: give TO, or sign one first')
    size = newest.treeSize
  }
  if (from > size) throw new ValidationError(`FROM (${from}) must not be larger than TO (${size}): a log only grows`)
  const head = await headRowId(db)
  if (size > head) throw new NotFoundError(`the access log has ${head} rows: there is no tree of ${size} rows yet`)
  const source = databaseSource(db)
  const [rootFrom, rootTo, proof] = await Promise.all([subtreeHash(source, 0, from), subtreeHash(source, 0, size), consistencyProof(source, from, size)])
  const heads = await Promise.all(
    [
      [from, rootFrom],
      [size, rootTo],
    ].map(async ([n, root]) => {
      const checkpoint = await checkpointOfSize(db, n as number)
      const hex = (root as Buffer).toString('hex')
      if (checkpoint && checkpoint.rootHash !== hex) {
        throw new ConflictError(`the rows no longer give the root of checkpoint ${checkpoint.id} (${n} rows): run 'confi docs verify'`)
      }
      return { size: n as number, root: hex, checkpoint: signed(checkpoint) }
    }),
  )
  if (!verifyConsistency(from, size, proof, rootFrom, rootTo)) {
    throw new ConflictError(`the stored tree does not prove ${from} rows consistent with ${size}: run 'confi docs verify'`)
  }
  return { from: heads[0], to: heads[1], proof: proof.map((h) => h.toString('hex')) }
}

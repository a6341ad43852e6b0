import { readFileSync, renameSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import { ConfiError } from '../errors.js'
import { syncDirectory, writePrivateTemp } from '../storage/durable-files.js'

// The checkpoint witness (docs/receipts.md#the-checkpoint-witness): a file beside the signing key
// file that keeps the newest checkpoint the firm signed, whatever the key. A database restored
// from an older copy, or one whose checkpoints were deleted with the rows they covered, brings
// its own checkpoints along; the witness lives outside the database and remembers what it lost.

/** What the witness keeps: the newest signed checkpoint, exactly as signed. */
export type Witness = Omit<Checkpoint, 'id'> & { id: number }

/** The witness of a key file: `signing-keys.json` → `signing-keys.witness.json`, same directory. */
export function witnessPathOf(keyFile: string): string {
  const name = basename(keyFile).replace(/\.json$/i, '')
  return join(dirname(keyFile), `${name}.witness.json`)
}

function damaged(path: string, why: string): ConfiError {
  return new ConfiError(
    `the checkpoint witness ${path} is damaged (${why}): restore it from a backup, or move it aside if the log was deliberately started anew`,
  )
}

/** The witness of the key file `keyFile`, or null when no checkpoint was signed since it exists. */
export function readWitness(keyFile: string): Witness | null {
  const path = witnessPathOf(keyFile)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new ConfiError(`cannot read the checkpoint witness ${path}: ${(error as Error).message}`)
  }
  let value: { version?: unknown; checkpoint?: Partial<Witness> }
  try {
    value = JSON.parse(text) as typeof value
  } catch {
    throw damaged(path, 'not JSON')
  }
  const c = value.checkpoint
  if (
    value.version !== 1 ||
    !c ||
    !Number.isSafeInteger(c.treeSize) ||
    !Number.isSafeInteger(c.id) ||
    typeof c.rootHash !== 'string' ||
    typeof c.at !== 'string' ||
    typeof c.keyId !== 'string' ||
    typeof c.signature !== 'string'
  ) {
    throw damaged(path, 'no checkpoint')
  }
  const { id, treeSize, rootHash, at, keyId, signature } = c as Witness
  return { id, treeSize, rootHash, at, keyId, signature }
}

/**
 * Records `checkpoint` as the newest signed one, durably (temporary file, fsync, rename, fsync the
 * directory), unless the witness already holds a larger one: instances that sign in turn may
 * finish writing out of order, and the witness only moves forward.
 */
export function recordWitness(keyFile: string, checkpoint: Checkpoint): void {
  const current = readWitnessIfSound(keyFile)
  if (current && current.treeSize > checkpoint.treeSize) return
  const path = witnessPathOf(keyFile)
  const { id, treeSize, rootHash, at, keyId, signature } = checkpoint
  const text = `${JSON.stringify({ version: 1, checkpoint: { id, treeSize, rootHash, at, keyId, signature } }, null, 2)}\n`
  const temp = writePrivateTemp(path, text)
  try {
    renameSync(temp, path)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
  syncDirectory(dirname(path))
}

// A damaged witness is replaced by the checkpoint just signed rather than blocking signing: the
// verification reports the damage until then (docs verify reads it with readWitness).
function readWitnessIfSound(keyFile: string): Witness | null {
  try {
    return readWitness(keyFile)
  } catch {
    return null
  }
}

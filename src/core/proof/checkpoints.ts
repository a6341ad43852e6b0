import type { Db } from '../db/database.js'
import type { DatabaseTarget } from '../db/handle.js'
import type { ProgressCallback } from '../access-log/chain/walk.js'
import { appendCheckpoint, listCheckpoints, type Checkpoint, type CheckpointBody } from '../access-log/checkpoints/checkpoints.js'
import { rowHashOf } from '../access-log/reads/rows.js'
import { walkAccessLog, type LogWalk } from '../access-log/verify/verify.js'
import type { IdRange } from '../access-log/verify/survey.js'
import { verifySignature, type PublicKeyInfo, type SigningKeys } from './keys.js'
import { recordWitness, type Witness } from './witness.js'

// Checkpoints: signed tree heads of the access log (docs/receipts.md#checkpoints), and the
// verification that uses them to see what a hash chain alone cannot: rows cut from its end. The
// access log stores them (core/access-log/checkpoints); signing and checking them is this module's.

/** The text a checkpoint's signature covers: five lines, each ending in a newline (docs/receipts.md). */
export function checkpointText(c: CheckpointBody): string {
  return `confi access-log checkpoint v1\nsize ${c.treeSize}\nroot ${c.rootHash}\ntime ${c.at}\nkey ${c.keyId}\n`
}

/**
 * Signs the current head of the log and records it in the key file's witness. With `onlyIfGrown`,
 * writes nothing (returns null) when the newest checkpoint already covers every row: `confi serve`
 * runs this every minute, on every instance, and the lock makes them agree.
 */
export async function createCheckpoint(
  db: Db,
  keys: SigningKeys,
  options: { onlyIfGrown?: boolean } = {},
): Promise<Checkpoint | null> {
  const checkpoint = await appendCheckpoint(db, { keyId: keys.current.id, sign: (body) => keys.sign(checkpointText(body)) }, options)
  // After the commit: a witness ahead of the database would accuse it of losing what it never had.
  if (checkpoint) recordWitness(keys.path, checkpoint)
  return checkpoint
}

/** Why a checkpoint cannot be trusted, or null when its signature holds under a known key. */
export function checkSignature(checkpoint: Checkpoint | Witness, keys: readonly PublicKeyInfo[]): string | null {
  const key = keys.find((k) => k.id === checkpoint.keyId)
  if (!key) return `checkpoint ${checkpoint.id} is signed by key ${checkpoint.keyId}, which is not in the signing key file`
  if (!verifySignature(key.publicKey, checkpointText(checkpoint), checkpoint.signature)) {
    return `checkpoint ${checkpoint.id} has a bad signature: it was changed after it was signed`
  }
  return null
}

const idRange = (from: number, to: number) => (from === to ? `row ${from} is` : `rows ${from} to ${to} are`)

/** "row 5", "rows 5 to 9", "rows 5, 8 to 9 and 12", "… and 40 more rows" past the listed ranges. */
export function idList(ranges: readonly IdRange[], count = ranges.reduce((n, r) => n + r.to - r.from + 1, 0)): string {
  const shown = ranges.slice(0, 10)
  const parts = shown.map((r) => (r.from === r.to ? `${r.from}` : `${r.from} to ${r.to}`))
  const listed = shown.reduce((n, r) => n + r.to - r.from + 1, 0)
  if (count > listed) parts.push(`${count - listed} more`)
  const text = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`
  return `${count === 1 ? 'row' : 'rows'} ${text}`
}

export interface LogVerification {
  ok: boolean
  rows: number
  lastId: number
  lastHash: string
  checkpoints: number
  newest: Checkpoint | null
  /** The newest checkpoint the key file's witness says was signed, when there is one. */
  witness: Witness | null
  /** One sentence per problem found; empty when ok. */
  problems: string[]
  /** Row ids at the end of the log that a checkpoint, the witness or --expect-head covers and the log no longer holds. */
  lostIds: IdRange | null
  /** Ids missing between rows that are there. */
  gaps: IdRange[]
  /** Rows whose contents no longer give their hash. */
  edited: IdRange[]
  /** Rows whose prev_hash is not the hash of the row before them, that row being there. */
  brokenLinks: IdRange[]
}

/**
 * `confi docs verify`: the chain, every checkpoint's signature, that each checkpoint's root is the
 * root of the rows up to its size, that no row a checkpoint (or `expectHead`, a head kept
 * elsewhere) covers is gone, and that the database still holds the newest checkpoint the
 * `witness` (docs/receipts.md#the-checkpoint-witness) says was signed. After a break it reads the
 * rest of the log, to name the edited rows and the broken links and to report as cut only what is
 * missing. One pass over the log, constant memory apart from the checkpoints.
 */
export async function verifyLogWithCheckpoints(
  db: Db,
  keys: readonly PublicKeyInfo[],
  options: {
    expectHead?: { id: number; hash: string }
    witness?: Witness | null
    onProgress?: ProgressCallback
    /** Where the database is: the walk then runs on threads (core/access-log/verify/verify.ts). */
    target?: DatabaseTarget
    chunkSize?: number
    threads?: number
  } = {},
): Promise<LogVerification> {
  const checkpoints = await listCheckpoints(db)
  const witness = options.witness ?? null
  const problems: string[] = []
  for (const checkpoint of checkpoints) {
    const problem = checkSignature(checkpoint, keys)
    if (problem) problems.push(problem)
  }
  if (witness) {
    const problem = checkSignature(witness, keys)
    if (problem) problems.push(`the checkpoint witness is not to be trusted: ${problem}`)
  }
  // Checkpoints first, then the walk reads the head: every checkpoint read covers rows it will see.
  const { target, chunkSize, threads, onProgress } = options
  const sizes = [...checkpoints.map((c) => c.treeSize), ...(witness ? [witness.treeSize] : [])]
  const walk = await walkAccessLog(db, { target, chunkSize, threads, onProgress, sizes })
  problems.push(...rootProblems(checkpoints, walk.roots))
  const { chain, gaps, edited, brokenLinks, head } = walk
  if (!chain.ok) problems.unshift(`access log broken at row ${chain.rowId}: ${breakReason(chain.rowId, chain.reason, walk)} (${chain.rows} rows before it verify)`)
  if (edited.length > 0) problems.push(`${idList(edited)} edited: the contents no longer give the stored hash`)
  if (brokenLinks.length > 0) {
    problems.push(`the link to the row before breaks at ${idList(brokenLinks)}: that row was rewritten with a new hash, or replaced`)
  }
  if (gaps.length > 0) {
    const only = gaps.length === 1 ? idRange(gaps[0].from, gaps[0].to) : `${idList(gaps)} are`
    problems.push(`${only} missing from the middle of the log: ids must run 1, 2, 3... without gaps`)
  }
  const lastId = walk.frontier.size
  const lastHash = chain.ok ? chain.lastHash : ''
  let lostTo = 0
  const newest = checkpoints.at(-1) ?? null
  if (newest && newest.treeSize > head) {
    lostTo = newest.treeSize
    problems.push(
      `${idRange(head + 1, newest.treeSize)} missing: checkpoint ${newest.id} signed ${newest.at} covers ${newest.treeSize} rows and the log ends at row ${head} (its end was cut)`,
    )
  }
  if (witness) {
    if (!newest || newest.treeSize < witness.treeSize) {
      lostTo = Math.max(lostTo, witness.treeSize > head ? witness.treeSize : 0)
      const theirs = newest ? `covers ${newest.treeSize}` : 'holds no checkpoint'
      problems.push(
        `the newest checkpoint signed (witness: checkpoint ${witness.id}, key ${witness.keyId}, ${witness.at}) covers ${witness.treeSize} rows (root ${witness.rootHash}), the database's newest ${theirs}: checkpoints or rows were removed, or the database was restored from an older copy`,
      )
    }
    const root = walk.roots.get(witness.treeSize)
    if (root !== undefined && root !== witness.rootHash) {
      problems.push(`the rows up to id ${witness.treeSize} do not give the root of the newest checkpoint signed (witness: ${witness.rootHash}): the log was rewritten since`)
    }
  }
  const expect = options.expectHead
  if (expect) {
    const hash = await rowHashOf(db, expect.id)
    if (hash === null) {
      lostTo = Math.max(lostTo, expect.id > head ? expect.id : 0)
      problems.push(`row ${expect.id} of the expected head is missing: rows ${head + 1} to ${expect.id} were cut, or the database was restored from an older copy`)
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
    witness,
    problems,
    lostIds: lostTo > head ? { from: head + 1, to: lostTo } : null,
    gaps,
    edited,
    brokenLinks,
  }
}

// A link that breaks with the row before still there: that row's hash was rewritten (an edit
// whose hash was recomputed) or the row replaced; the walk alone cannot tell this from a deletion.
function breakReason(rowId: number, reason: string, walk: LogWalk): string {
  const linkBroken = walk.brokenLinks.some((r) => r.from <= rowId && rowId <= r.to)
  if (!linkBroken) return reason
  return `its prev_hash does not match the hash of row ${rowId - 1}, which is there: row ${rowId - 1} was rewritten with a new hash, or replaced`
}

// Each checkpoint whose root the rows no longer give, with where the change lies: after the
// largest checkpoint that still matches.
function rootProblems(checkpoints: readonly Checkpoint[], roots: ReadonlyMap<number, string>): string[] {
  const problems: string[] = []
  let matching: Checkpoint | null = null
  for (const c of checkpoints) {
    const root = roots.get(c.treeSize)
    if (root === undefined) continue
    if (root === c.rootHash) {
      matching = c
      continue
    }
    const where = matching && matching.treeSize < c.treeSize
      ? ` (between ids ${matching.treeSize + 1} and ${c.treeSize}: checkpoint ${matching.id}, of ${matching.treeSize} rows, still matches)`
      : ''
    problems.push(`checkpoint ${c.id} (${c.treeSize} rows, signed ${c.at}) does not match the rows: a row up to id ${c.treeSize} was changed since${where}`)
  }
  return problems
}

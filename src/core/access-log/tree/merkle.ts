import { createHash, hash } from 'node:crypto'
import { ConfiError } from '../../errors.js'
import { takeLock, type Db } from '../../db/database.js'
import { preparedInsert, preparedQuery } from '../../db/prepared.js'

// The Merkle tree over the access log, hashed as RFC 9162 section 2.1 says: leaf i is the hash of
// the row with id i + 1 (its 32 raw bytes), leaf hash = SHA-256(0x00 ‖ leaf), node hash =
// SHA-256(0x01 ‖ left ‖ right), and a tree of n leaves splits at the largest power of two below
// n. Only db sits below this module: the access-log append path extends the tree in its own
// transaction (docs/decisions.md, "The tree is stored as it grows").
//
// Stored as rows are appended: every complete subtree of 2^STORED_LEVEL leaves or more
// (access_log_tree) and the frontier of the current tree (access_log_tree_head: one hash per set
// bit of the size). Smaller subtrees are rehashed from at most 16 rows, so a proof reads
// O(log n) rows and never rehashes the log.

export const STORED_LEVEL = 4
const BLOCK = 2 ** STORED_LEVEL
const EMPTY_ROOT = createHash('sha256').digest()

// One-shot hashes of one buffer: `confi docs verify` hashes two to three times a row.
export function leafHash(leaf: Buffer): Buffer {
  const message = Buffer.allocUnsafe(1 + leaf.length)
  message[0] = 0x00
  leaf.copy(message, 1)
  return hash('sha256', message, 'buffer')
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  const message = Buffer.allocUnsafe(1 + left.length + right.length)
  message[0] = 0x01
  left.copy(message, 1)
  right.copy(message, 1 + left.length)
  return hash('sha256', message, 'buffer')
}

/** The leaf hash of an access-log row, from its `hash` column. */
export function rowLeafHash(rowHash: string): Buffer {
  const message = Buffer.allocUnsafe(33)
  message[0] = 0x00
  if (rowHash.length === 64 && message.write(rowHash, 1, 'hex') === 32) return hash('sha256', message, 'buffer')
  return leafHash(Buffer.from(rowHash, 'hex'))
}

/** The largest power of two smaller than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

const isPowerOfTwo = (n: number) => n > 0 && Number.isInteger(Math.log2(n))

/** Where a proof reads complete subtrees: `node(start, size)` for size a power of two, start a multiple of it. */
export interface TreeSource {
  node(start: number, size: number): Promise<Buffer>
}

/** MTH(D[a:b]) of RFC 9162: the hash of leaves a (inclusive) to b (exclusive). */
export async function subtreeHash(source: TreeSource, a: number, b: number): Promise<Buffer> {
  const n = b - a
  if (n === 0) return EMPTY_ROOT
  if (isPowerOfTwo(n) && a % n === 0) return source.node(a, n)
  const k = splitPoint(n)
  return nodeHash(await subtreeHash(source, a, a + k), await subtreeHash(source, a + k, b))
}

/** PATH(m, D[n]) of RFC 9162 2.1.3.1: the inclusion proof of leaf m in the tree of size n, leaf side first. */
export async function inclusionProof(source: TreeSource, m: number, n: number): Promise<Buffer[]> {
  if (!(m >= 0 && m < n)) throw new ConfiError(`leaf ${m} is not in a tree of ${n} leaves`)
  const path = async (m: number, a: number, b: number): Promise<Buffer[]> => {
    if (b - a === 1) return []
    const k = splitPoint(b - a)
    if (m < k) return [...(await path(m, a, a + k)), await subtreeHash(source, a + k, b)]
    return [...(await path(m - k, a + k, b)), await subtreeHash(source, a, a + k)]
  }
  return path(m, 0, n)
}

/** PROOF(m, D[n]) of RFC 9162 2.1.4.1: that the tree of size n extends the tree of size m. */
export async function consistencyProof(source: TreeSource, m: number, n: number): Promise<Buffer[]> {
  if (!(m > 0 && m <= n)) throw new ConfiError(`no consistency proof from ${m} to ${n} leaves`)
  const subproof = async (m: number, a: number, b: number, whole: boolean): Promise<Buffer[]> => {
    if (m === b - a) return whole ? [] : [await subtreeHash(source, a, b)]
    const k = splitPoint(b - a)
    if (m <= k) return [...(await subproof(m, a, a + k, whole)), await subtreeHash(source, a + k, b)]
    return [...(await subproof(m - k, a + k, b, false)), await subtreeHash(source, a, a + k)]
  }
  return subproof(m, 0, n, true)
}

const odd = (x: number) => x % 2 === 1
const half = (x: number) => Math.floor(x / 2)

/** RFC 9162 2.1.3.2: the root an inclusion proof leads to, or null when the proof has the wrong shape. */
export function rootFromInclusionProof(index: number, size: number, leaf: Buffer, proof: readonly Buffer[]): Buffer | null {
  if (!(index >= 0 && index < size)) return null
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return null
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r)
      while (!odd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 ? r : null
}

/** RFC 9162 2.1.4.2: true when `proof` shows the tree (size2, root2) extends (size1, root1). */
export function verifyConsistency(size1: number, size2: number, proof: readonly Buffer[], root1: Buffer, root2: Buffer): boolean {
  if (size1 === size2) return proof.length === 0 && root1.equals(root2)
  if (!(size1 > 0 && size1 < size2) || proof.length === 0) return false
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof]
  let fn = size1 - 1
  let sn = size2 - 1
  while (odd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let fr = path[0]
  let sr = path[0]
  for (const c of path.slice(1)) {
    if (sn === 0) return false
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while (!odd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2)
}

/** The right edge of a tree: one complete subtree hash per set bit of `size`, largest first. */
export interface Frontier {
  size: number
  hashes: Buffer[]
}

export function emptyFrontier(): Frontier {
  return { size: 0, hashes: [] }
}

/** Adds one leaf hash; reports every complete subtree of STORED_LEVEL or more that it closes. */
export function extendFrontier(
  frontier: Frontier,
  leaf: Buffer,
  onNode?: (level: number, index: number, hash: Buffer) => void,
): void {
  let hash = leaf
  let level = 0
  for (let s = frontier.size; odd(s); s = half(s)) {
    hash = nodeHash(frontier.hashes.pop()!, hash)
    level += 1
    if (level >= STORED_LEVEL) onNode?.(level, Math.floor(frontier.size / 2 ** level), hash)
  }
  frontier.hashes.push(hash)
  frontier.size += 1
}

/**
 * Adds a complete subtree of 2^level leaves, given its root, to a frontier whose size is a
 * multiple of 2^level: an aligned run of 2^level leaves is one node of the RFC 9162 tree, so the
 * verification threads hash their chunk alone and the main thread joins the chunks.
 */
export function appendSubtree(frontier: Frontier, level: number, root: Buffer): void {
  const width = 2 ** level
  if (frontier.size % width !== 0) throw new ConfiError(`a subtree of ${width} leaves cannot follow ${frontier.size} leaves`)
  let hash = root
  for (let s = frontier.size / width; odd(s); s = half(s)) hash = nodeHash(frontier.hashes.pop()!, hash)
  frontier.hashes.push(hash)
  frontier.size += width
}

/** The root hash of the tree a frontier describes (RFC 9162: the empty tree hashes to SHA-256 of nothing). */
export function frontierRoot(frontier: Frontier): Buffer {
  if (frontier.hashes.length === 0) return EMPTY_ROOT
  let root = frontier.hashes.at(-1)!
  for (let i = frontier.hashes.length - 2; i >= 0; i--) root = nodeHash(frontier.hashes[i], root)
  return root
}

/** An in-memory tree over leaf hashes (tests and the offline verifier's reference). */
export function memorySource(leaves: readonly Buffer[]): TreeSource {
  const node = async (start: number, size: number): Promise<Buffer> =>
    size === 1 ? leaves[start] : nodeHash(await node(start, size / 2), await node(start + size / 2, size / 2))
  return { node }
}

// ---------------------------------------------------------------- the stored tree

/** Stored subtrees (by `level:idx`) and 16-leaf blocks (by first leaf) already read. */
interface Preloaded {
  nodes: Map<string, Buffer>
  blocks: Map<number, Buffer[]>
}

/** Reads complete subtrees from access_log_tree, and rehashes those under 16 leaves from the rows. */
export function databaseSource(db: Db, preloaded: Preloaded = { nodes: new Map(), blocks: new Map() }): TreeSource {
  const { blocks } = preloaded
  const block = async (first: number): Promise<Buffer[]> => {
    let leaves = blocks.get(first)
    if (!leaves) {
      const rows = await db
        .selectFrom('access_log')
        .select(['id', 'hash'])
        .where('id', '>', first)
        .where('id', '<=', first + BLOCK)
        .orderBy('id')
        .execute()
      leaves = rows.map((row) => rowLeafHash(row.hash))
      blocks.set(first, leaves)
    }
    return leaves
  }
  const small = async (start: number, size: number): Promise<Buffer> => {
    const first = start - (start % BLOCK)
    const leaves = await block(first)
    const slice = leaves.slice(start - first, start - first + size)
    if (slice.length !== size) throw missing(start, size)
    return memorySource(slice).node(0, size)
  }
  return {
    async node(start, size) {
      if (size < BLOCK) return small(start, size)
      const level = Math.log2(size)
      const known = preloaded.nodes.get(`${level}:${start / size}`)
      if (known) return known
      const row = await db
        .selectFrom('access_log_tree')
        .select('hash')
        .where('level', '=', level)
        .where('idx', '=', start / size)
        .executeTakeFirst()
      if (!row) throw missing(start, size)
      return Buffer.from(row.hash, 'hex')
    },
  }
}

/**
 * The inclusion proof of leaf m in the stored tree of n leaves, in two queries: a proof's shape
 * depends only on m and n, so a first pass on placeholder hashes lists the subtrees and leaf blocks
 * it reads, which are then read at once (about 25 round trips fewer at 10 million rows).
 */
export async function storedInclusionProof(db: Db, m: number, n: number): Promise<Buffer[]> {
  const nodes: { level: number; idx: number }[] = []
  const firsts = new Set<number>()
  await inclusionProof(
    {
      async node(start, size) {
        if (size < BLOCK) firsts.add(start - (start % BLOCK))
        else nodes.push({ level: Math.log2(size), idx: start / size })
        return EMPTY_ROOT
      },
    },
    m,
    n,
  )
  const preloaded: Preloaded = { nodes: new Map(), blocks: new Map() }
  if (nodes.length > 0) {
    const rows = await db
      .selectFrom('access_log_tree')
      .select(['level', 'idx', 'hash'])
      .where((eb) => eb.or(nodes.map((x) => eb.and([eb('level', '=', x.level), eb('idx', '=', x.idx)]))))
      .execute()
    for (const row of rows) preloaded.nodes.set(`${Number(row.level)}:${Number(row.idx)}`, Buffer.from(row.hash, 'hex'))
  }
  if (firsts.size > 0) {
    const rows = await db
      .selectFrom('access_log')
      .select(['id', 'hash'])
      .where((eb) => eb.or([...firsts].map((first) => eb.and([eb('id', '>', first), eb('id', '<=', first + BLOCK)]))))
      .orderBy('id')
      .execute()
    for (const first of firsts) preloaded.blocks.set(first, [])
    for (const row of rows) {
      const id = Number(row.id)
      preloaded.blocks.get(id - 1 - ((id - 1) % BLOCK))!.push(rowLeafHash(row.hash))
    }
  }
  return inclusionProof(databaseSource(db, preloaded), m, n)
}

function missing(start: number, size: number): ConfiError {
  return new ConfiError(
    `the access-log tree lacks rows ${start + 1} to ${start + size}: run 'confi docs verify' to see what happened to the log`,
  )
}

/** access_log_tree_head as stored: the tree's size and its frontier, comma-separated hex. */
export interface StoredTreeHead {
  size: number
  frontier: string
}

const readHeadQuery = preparedQuery(0, (db: Db) =>
  db.selectFrom('access_log_tree_head').select(['size', 'frontier']).where('id', '=', 1),
)

async function readHead(trx: Db): Promise<StoredTreeHead | null> {
  const [row] = await readHeadQuery(trx)
  return row ?? null
}

function parseHead(stored: StoredTreeHead | null): Frontier {
  if (!stored) return emptyFrontier()
  const hashes = stored.frontier === '' ? [] : stored.frontier.split(',').map((h) => Buffer.from(h, 'hex'))
  return { size: Number(stored.size), hashes }
}

// The frontier of a smaller tree, from the stored subtrees: after the log lost rows at its end.
async function frontierAt(trx: Db, size: number): Promise<Frontier> {
  const source = databaseSource(trx)
  const hashes: Buffer[] = []
  let start = 0
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (Math.floor(size / bit) % 2 === 0) continue
    hashes.push(await source.node(start, bit))
    start += bit
  }
  return { size, hashes }
}

export type TreeNode = { level: number; idx: number; hash: string }

/** What growing the tree writes: the complete subtrees it closed and its new head. */
export interface TreeWrites {
  nodes: TreeNode[]
  head: StoredTreeHead
}

// Compiled once (core/db/prepared.ts): a group's new nodes in one or a few statements, the head in one.
const insertNodes = preparedInsert<TreeNode>('access_log_tree', ['level', 'idx', 'hash'])
const saveHeadQuery = preparedQuery(2, (db: Db, size: number, frontier: string) =>
  db
    .insertInto('access_log_tree_head')
    .values({ id: 1, size, frontier })
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ size: eb.ref('excluded.size'), frontier: eb.ref('excluded.frontier') }))),
)

function headOf(frontier: Frontier): StoredTreeHead {
  return { size: frontier.size, frontier: frontier.hashes.map((h) => h.toString('hex')).join(',') }
}

/** Writes what growTree computed (the append path on PostgreSQL writes it with its rows instead). */
export async function saveTree(trx: Db, writes: TreeWrites): Promise<void> {
  await insertNodes(trx, writes.nodes)
  await saveHeadQuery(trx, writes.head.size, writes.head.frontier)
}

function extendAll(frontier: Frontier, rowHashes: readonly string[], nodes: TreeNode[]): void {
  for (const hash of rowHashes) {
    extendFrontier(frontier, rowLeafHash(hash), (level, idx, h) => nodes.push({ level, idx, hash: h.toString('hex') }))
  }
}

// Brings the stored tree to `size` leaves: forward over rows it has not seen (a database upgraded
// from before the tree, or rows written by another tool), back when the log lost rows at its end.
// `stored` is the head when the caller already read it under the lock.
async function treeAt(trx: Db, size: number, stored?: StoredTreeHead | null): Promise<Frontier> {
  let frontier = parseHead(stored === undefined ? await readHead(trx) : stored)
  if (frontier.size > size) {
    for (let level = STORED_LEVEL; 2 ** level <= frontier.size; level++) {
      await trx.deleteFrom('access_log_tree').where('level', '=', level).where('idx', '>=', Math.floor(size / 2 ** level)).execute()
    }
    frontier = await frontierAt(trx, size)
    await saveTree(trx, { nodes: [], head: headOf(frontier) })
  }
  while (frontier.size < size) {
    const rows = await trx
      .selectFrom('access_log')
      .select(['id', 'hash'])
      .where('id', '>', frontier.size)
      .where('id', '<=', size)
      .orderBy('id')
      .limit(5000)
      .execute()
    if (rows.length === 0 || Number(rows[0].id) !== frontier.size + 1) {
      throw new ConfiError(`access-log row ${frontier.size + 1} is missing: run 'confi docs verify'`)
    }
    const nodes: TreeNode[] = []
    extendAll(frontier, rows.map((r) => r.hash), nodes)
    await saveTree(trx, { nodes, head: headOf(frontier) })
  }
  return frontier
}

/**
 * What appending the hashes of rows `size + 1 ...` to the stored tree of `size` leaves writes,
 * computed in memory (about one node for every eight rows). Called by the access-log append path
 * inside its transaction and under its lock, with the tree head it read there (null: no head yet).
 */
export async function growTree(trx: Db, size: number, rowHashes: readonly string[], stored?: StoredTreeHead | null): Promise<TreeWrites> {
  const frontier = await treeAt(trx, size, stored)
  const nodes: TreeNode[] = []
  extendAll(frontier, rowHashes, nodes)
  return { nodes, head: headOf(frontier) }
}

/** Appends the hashes of rows `size + 1 ...` to the stored tree of `size` leaves (inside the append's transaction). */
export async function appendToTree(trx: Db, size: number, rowHashes: readonly string[], stored?: StoredTreeHead | null): Promise<void> {
  await saveTree(trx, await growTree(trx, size, rowHashes, stored))
}

/** The stored tree at the log's current head (its size and root); call under the access-log lock. */
export async function syncTreeIn(trx: Db): Promise<{ size: number; root: string }> {
  const head = await trx.selectFrom('access_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst()
  const frontier = await treeAt(trx, head ? Number(head.id) : 0)
  return { size: frontier.size, root: frontierRoot(frontier).toString('hex') }
}

/** Brings the stored tree up to the log (confi init after an upgrade). */
export async function syncTree(db: Db): Promise<{ size: number; root: string }> {
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, 'access-log')
    return syncTreeIn(trx)
  })
}

import { describe, expect, it } from 'vitest'
import {
  consistencyProof,
  databaseSource,
  emptyFrontier,
  extendFrontier,
  frontierRoot,
  inclusionProof,
  leafHash,
  memorySource,
  rootFromInclusionProof,
  rowLeafHash,
  storedInclusionProof,
  subtreeHash,
  syncTree,
  verifyConsistency,
} from '../../../src/core/access-log/tree/merkle.js'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { useTestDatabase } from '../../helpers/db.js'
import { fillAccessLog } from '../../helpers/access-log.js'
import { makeClient, makeDocument } from '../../helpers/factories.js'

// Independent vectors: the RFC 6962 / RFC 9162 test data of the Go Certificate Transparency
// libraries (transparency-dev/merkle, testonly/constants.go and proof/verify_test.go).
const hex = (h: string) => Buffer.from(h, 'hex')
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex)
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
// [leaf index, tree size, proof]
const INCLUSION: [number, number, string[]][] = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
]
// [size 1, size 2, proof]
const CONSISTENCY: [number, number, string[]][] = [
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
]

describe('Merkle tree (RFC 9162) against the Certificate Transparency test vectors', () => {
  const leaves = LEAVES.map(leafHash)
  const source = memorySource(leaves)

  it('computes every root, by recursion and by the append-only frontier', async () => {
    const frontier = emptyFrontier()
    expect(frontierRoot(frontier).toString('hex')).toBe(ROOTS[0])
    for (let n = 1; n <= 8; n++) {
      extendFrontier(frontier, leaves[n - 1])
      expect((await subtreeHash(source, 0, n)).toString('hex')).toBe(ROOTS[n])
      expect(frontierRoot(frontier).toString('hex')).toBe(ROOTS[n])
    }
  })

  it('produces and verifies the inclusion proofs of the vectors, and refuses altered ones', async () => {
    for (const [index, size, proof] of INCLUSION) {
      expect((await inclusionProof(source, index, size)).map((h) => h.toString('hex'))).toEqual(proof)
      const path = proof.map(hex)
      expect(rootFromInclusionProof(index, size, leaves[index], path)?.toString('hex')).toBe(ROOTS[size])
      const flipped = path.map((h, i) => (i === 0 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 8 : b))) : h))
      expect(rootFromInclusionProof(index, size, leaves[index], flipped)?.toString('hex')).not.toBe(ROOTS[size])
      expect(rootFromInclusionProof(index + 1, size, leaves[index], path)?.toString('hex')).not.toBe(ROOTS[size])
      expect(rootFromInclusionProof(index, size, leaves[index], path.slice(1))?.toString('hex')).not.toBe(ROOTS[size])
    }
  })

  it('produces and verifies the consistency proofs of the vectors, and refuses altered ones', async () => {
    for (const [m, n, proof] of CONSISTENCY) {
      expect((await consistencyProof(source, m, n)).map((h) => h.toString('hex'))).toEqual(proof)
      expect(verifyConsistency(m, n, proof.map(hex), hex(ROOTS[m]), hex(ROOTS[n]))).toBe(true)
      expect(verifyConsistency(m, n, proof.map(hex).slice(0, -1), hex(ROOTS[m]), hex(ROOTS[n]))).toBe(false)
      expect(verifyConsistency(m, n, proof.map(hex), hex(ROOTS[n]), hex(ROOTS[m]))).toBe(false)
      expect(verifyConsistency(m + 1, n, proof.map(hex), hex(ROOTS[m]), hex(ROOTS[n]))).toBe(false)
    }
  })

  it('agrees with itself for every proof in trees up to 24 leaves', async () => {
    const many = Array.from({ length: 24 }, (_, i) => leafHash(Buffer.from([i])))
    const big = memorySource(many)
    for (let n = 1; n <= 24; n++) {
      const root = await subtreeHash(big, 0, n)
      for (let m = 0; m < n; m++) {
        expect(rootFromInclusionProof(m, n, many[m], await inclusionProof(big, m, n))).toEqual(root)
        if (m > 0) expect(verifyConsistency(m, n, await consistencyProof(big, m, n), await subtreeHash(big, 0, m), root)).toBe(true)
      }
    }
  })
})

describe(`the stored tree on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  const t = useTestDatabase({ firm: true })
  it('grows with the log, catches up with rows written around it, and answers proofs from the store', async () => {
    const client = await makeClient(t.db, t.key)
    const doc = await makeDocument(t, client.id)
    for (let i = 0; i < 3; i++) await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'link', action: 'view' })
    // Row 1 is the document's document.published row: 1 + 3 + 96 + 1 = 101 rows.
    await fillAccessLog(t, 96, { documentId: doc.id, clientId: client.id })
    await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'portal', action: 'download' })
    const rows = await t.db.selectFrom('access_log').select('hash').orderBy('id').execute()
    const leaves = rows.map((r) => rowLeafHash(r.hash))
    expect(leaves).toHaveLength(101)
    const reference = memorySource(leaves)
    const tree = await syncTree(t.db)
    expect(tree).toEqual({ size: 101, root: (await subtreeHash(reference, 0, 101)).toString('hex') })
    const stored = databaseSource(t.db)
    for (const [m, n] of [[0, 101], [50, 101], [100, 101], [16, 64], [33, 77]]) {
      expect(await inclusionProof(stored, m, n)).toEqual(await inclusionProof(reference, m, n))
      expect(await storedInclusionProof(t.db, m, n)).toEqual(await inclusionProof(reference, m, n))
      expect(await consistencyProof(stored, m + 1, n)).toEqual(await consistencyProof(reference, m + 1, n))
    }
    const nodes = await t.db.selectFrom('access_log_tree').select('level').execute()
    expect(nodes.length).toBe(6 + 3 + 1) // 101 leaves: six subtrees of 16, three of 32, one of 64
  })
})

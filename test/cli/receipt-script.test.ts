import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { accessLogHash } from '../../src/core/access-log/chain/row.js'
import { leafHash, nodeHash, rowLeafHash } from '../../src/core/access-log/tree/merkle.js'
import { checkpointText } from '../../src/core/proof/checkpoints.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { runConfi } from '../helpers/cli.js'

// The verification script of docs/receipts.md, run as a reader would copy it, against a proof
// that climbs to the signed root from a leaf beyond the tree: "row 41 proven in a tree of 4".
// RFC 9162's algorithm alone accepts it (the index is below the size only by the verifier's check).
const dir = mkdtempSync(join(tmpdir(), 'confi-receipt-script-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const documentedScript = () =>
  /<!-- verifier:start -->\n```js\n([\s\S]*?)```\n<!-- verifier:end -->/.exec(readFileSync(new URL('../../docs/receipts.md', import.meta.url), 'utf8'))![1]

function forgedReceipt(id: number, treeSize: number) {
  const keys = loadSigningKeys(join(dir, 'signing-keys.json'), { create: true })
  const row = {
    id,
    at: '2026-11-01T12:00:00.000Z',
    document_id: 1,
    attachment_id: null,
    client_id: 1,
    user_id: null,
    username: null,
    user_name: null,
    channel: 'link',
    delivery_id: null,
    ip: '203.0.113.7',
    port: 50000,
    user_agent: 'Mozilla/5.0',
    action: 'view',
  } as const
  const prev = '0'.repeat(64)
  const hash = accessLogHash(row, prev)
  // For leaf index 40 and size 4 the climb is: (leaf, p0), then (that, p1); sn reaches 0 after two steps.
  const proof = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))]
  const root = nodeHash(nodeHash(rowLeafHash(hash), proof[0]), proof[1]).toString('hex')
  const body = { treeSize, rootHash: root, at: '2026-11-02T00:00:00.000Z', keyId: keys.current.id }
  const checkpoint = { id: 1, ...body, signature: keys.sign(checkpointText(body)) }
  return {
    publicKey: keys.current.publicKey,
    receipt: {
      type: 'confi-receipt',
      version: 1,
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      issuedAt: '2026-11-02T00:00:00.000Z',
      url: 'http://localhost:3000/comprovantes/AAAAAAAAAAAAAAAAAAAAAA',
      firm: { name: 'Escritório', baseUrl: 'http://localhost:3000' },
      client: { name: 'Cliente', taxId: '11222333000181' },
      document: { id: 1, title: 'DAS', category: 'guia', competence: null, dueDate: null, files: [] },
      deliveryId: null,
      deliveries: [],
      rows: [{ ...row, prev_hash: prev, hash, proof: proof.map((h) => h.toString('hex')) }],
      checkpoint,
      publicKey: { id: keys.current.id, publicKey: keys.current.publicKey },
    },
  }
}

describe('the documented receipt verification script', { timeout: 60_000 }, () => {
  it('refuses a row whose leaf index is not below the tree size, as confi does', async () => {
    const { receipt, publicKey } = forgedReceipt(41, 4)
    const path = join(dir, 'forged.json')
    writeFileSync(path, JSON.stringify(receipt))
    const script = join(dir, 'verify-receipt.mjs')
    writeFileSync(script, documentedScript())
    expect(() => execFileSync(process.execPath, [script, path, publicKey], { stdio: 'pipe' })).toThrow(/row 41: not in a tree of 4 rows/)
    const confi = await runConfi(['receipts', 'verify', path, '--public-key', publicKey], {
      env: { CONFI_DB: join(dir, 'nothing.db'), CONFI_SIGNING_KEY_FILE: join(dir, 'none.json') },
      cwd: dir,
    })
    expect([confi.code, confi.stderr]).toEqual([1, expect.stringMatching(/^confi: the receipt does not verify: wrong proof: row 41 is not proven/)])
  })

  it('without that check the forged proof climbs to the signed root: the check is what refuses it', () => {
    const { receipt, publicKey } = forgedReceipt(41, 4)
    const path = join(dir, 'forged.json')
    writeFileSync(path, JSON.stringify(receipt))
    const script = join(dir, 'verify-receipt-unchecked.mjs')
    const unchecked = documentedScript().split('\n').filter((line) => !line.includes('not in a tree of'))
    expect(unchecked.length).toBe(documentedScript().split('\n').length - 1)
    writeFileSync(script, unchecked.join('\n'))
    expect(execFileSync(process.execPath, [script, path, publicKey], { encoding: 'utf8' })).toMatch(/^1 rows proven in the checkpoint of 4 rows/)
  })
})

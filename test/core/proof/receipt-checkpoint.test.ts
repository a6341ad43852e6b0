import { beforeEach, describe, expect, it } from 'vitest'
import { accountant } from '../../../src/core/actors.js'
import { createCheckpoint } from '../../../src/core/proof/checkpoints.js'
import { loadSigningKeys, type SigningKeys } from '../../../src/core/proof/keys.js'
import { issueReceipt, verifyReceipt } from '../../../src/core/proof/receipts.js'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { useTestDatabase } from '../../helpers/db.js'
import { fillAccessLog } from '../../helpers/access-log.js'
import { makeClient, makeDocument } from '../../helpers/factories.js'

// A receipt carries the newest checkpoint when it is issued, not the oldest one that covers its
// rows: the holder then keeps the latest signed head of the log (docs/receipts.md).
const t = useTestDatabase({ firm: true })
let keys: SigningKeys
let doc: number
let clientId: number
beforeEach(async () => {
  keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
  const client = await makeClient(t.db, t.key)
  clientId = client.id
  doc = (await makeDocument(t, client.id)).id
  const other = { documentId: (await makeDocument(t, client.id)).id, clientId: client.id }
  await fillAccessLog(t, 9, other)
  await recordAccess(t.db, { documentId: doc, clientId: client.id, channel: 'link', action: 'view', ip: '203.0.113.9' })
  await createCheckpoint(t.db, keys)
  await fillAccessLog(t, 20, other)
})

describe(`the receipt's checkpoint on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  it('is the newest at issue time, with the rows proven to it', async () => {
    const newest = (await createCheckpoint(t.db, keys))!
    // Rows 1 and 2: the two documents' document.published rows (log format 2).
    expect(newest.treeSize).toBe(32)
    const receipt = await issueReceipt(t.db, keys, accountant('test'), { documentId: doc })
    expect(receipt.checkpoint).toEqual(newest)
    expect(receipt.rows.map((r) => r.id)).toEqual([12])
    expect(receipt.publications.map((r) => [r.id, r.kind])).toEqual([[1, 'document.published']])
    expect(verifyReceipt(receipt, keys.all)).toMatchObject({ ok: true })
  })

  it('is signed on the spot when no checkpoint covers the rows yet', async () => {
    await recordAccess(t.db, { documentId: doc, clientId, channel: 'link', action: 'download', ip: '203.0.113.9' })
    const receipt = await issueReceipt(t.db, keys, accountant('test'), { documentId: doc })
    expect(receipt.checkpoint.treeSize).toBe(33)
    expect(verifyReceipt(receipt, keys.all)).toMatchObject({ ok: true })
  })
})

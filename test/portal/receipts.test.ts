import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDelivery } from '../../src/core/delivery/deliveries.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { extractReceiptJson } from '../../src/core/proof/receipt-pdf/index.js'
import { parseReceipt, verifyReceipt, type Receipt } from '../../src/core/proof/receipts.js'
import { dropAccessLogTriggers } from '../helpers/access-log.js'
import { ACCOUNTANT, makeUser } from '../helpers/factories.js'
import { createPortalWorld, type PortalWorld } from '../helpers/portal.js'

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
  loadSigningKeys(w.t.config.signingKeyFile, { create: true })
})
afterEach(async () => w.close())

async function open(docId: number, cookie: string): Promise<{ receipt: Receipt; bytes: Buffer }> {
  const response = await w.request(`/documents/${docId}/comprovante`, { cookie })
  expect(response.status).toBe(200)
  const bytes = Buffer.from(await response.arrayBuffer())
  return { receipt: parseReceipt(await extractReceiptJson(bytes)) as Receipt, bytes }
}

describe(`the receipt in the portal on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  it('links "Comprovante de acesso" for users who may see the document; the page behind the QR code re-checks it', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const other = await w.client('Outra Empresa Ltda')
    const doc = await w.doc(client, 'DAS Março 2026')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const stranger = await w.user(other, 'beto', { role: 'admin' })
    const caio = await w.user(client, 'caio')
    const cookie = await w.cookieFor(ana)
    expect((await w.request(`/documents/${doc.id}`, { cookie: await w.cookieFor(caio) })).status).toBe(200)

    const page = await w.request(`/documents/${doc.id}`, { cookie })
    expect(await page.text()).toContain(`<a href="/documents/${doc.id}/comprovante">Comprovante de acesso</a>`)
    const response = await w.request(`/documents/${doc.id}/comprovante`, { cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/pdf')
    const receipt = parseReceipt(await extractReceiptJson(new Uint8Array(await response.arrayBuffer()))) as Receipt
    // Caio's view carries his IP and browser: even an admin's receipt holds only her own rows.
    expect(await w.db.selectFrom('access_log').select(['kind', 'user_id']).where('document_id', '=', doc.id).orderBy('id').execute()).toEqual([
      { kind: 'document.published', user_id: null },
      { kind: 'view', user_id: caio.id },
      { kind: 'view', user_id: ana.id },
    ])
    expect(receipt.rows.map((r) => [r.username, r.action, r.channel])).toEqual([['ana', 'view', 'portal']])
    expect(receipt).toMatchObject({ version: 2, userId: ana.id, rowIds: [receipt.rows[0].id] })
    expect(receipt.publications.map((r) => r.kind)).toEqual(['document.published'])
    const created = await w.db.selectFrom('receipts').select('created_by').where('public_id', '=', receipt.id).executeTakeFirstOrThrow()
    expect(created.created_by).toBe('user:ana')
    const keys = loadSigningKeys(w.t.config.signingKeyFile).all
    expect(verifyReceipt(receipt, keys)).toMatchObject({ ok: true, problems: [] })

    expect((await w.request(`/documents/${doc.id}/comprovante`, { cookie: await w.cookieFor(stranger) })).status).toBe(404)
    expect((await w.request(`/documents/${doc.id}/comprovante`)).status).not.toBe(200)

    const check = await w.request(new URL(receipt.url).pathname)
    expect(check.status).toBe(200)
    expect(await check.text()).toContain('Comprovante válido')
    expect((await w.request('/comprovantes/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404)

    await dropAccessLogTriggers(w.db)
    await w.db.updateTable('access_log').set({ hash: '0'.repeat(64) }).where('id', '=', receipt.rows[0].id as number).execute()
    const changed = await w.request(new URL(receipt.url).pathname)
    expect(changed.status).toBe(409)
    expect(await changed.text()).toMatch(/Comprovante não confere: row \d+ is no longer in the access log as it was/)
  })

  it('opening the receipt twice, or many times at once, for the same document, viewer and checkpoint gives one receipt', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const doc = await w.doc(client, 'DAS Abril 2026')
    const cookie = await w.cookieFor(ana)
    expect((await w.request(`/documents/${doc.id}`, { cookie })).status).toBe(200)
    const first = (await open(doc.id, cookie)).receipt
    const again = (await open(doc.id, cookie)).receipt
    expect(again).toEqual(first)
    const together = await Promise.all([1, 2, 3, 4, 5].map(() => open(doc.id, cookie)))
    expect(new Set(together.map((r) => r.receipt.id))).toEqual(new Set([first.id]))
    expect(await w.db.selectFrom('receipts').select('public_id').where('document_id', '=', doc.id).execute()).toEqual([{ public_id: first.id }])

    // Another viewer, or a new access of the same one, is another receipt; opened at once, still one each.
    const caio = await w.user(client, 'caio')
    const caioCookie = await w.cookieFor(caio)
    expect((await w.request(`/documents/${doc.id}`, { cookie: caioCookie })).status).toBe(200)
    expect((await w.request(`/documents/${doc.id}`, { cookie })).status).toBe(200)
    const [a1, c1, a2, c2] = await Promise.all([open(doc.id, cookie), open(doc.id, caioCookie), open(doc.id, cookie), open(doc.id, caioCookie)])
    expect(a1.receipt.id).toBe(a2.receipt.id)
    expect(c1.receipt.id).toBe(c2.receipt.id)
    expect(new Set([first.id, a1.receipt.id, c1.receipt.id]).size).toBe(3)
    expect(a1.receipt.rows).toHaveLength(2)
    expect(c1.receipt.rows.map((r) => r.user_id)).toEqual([caio.id])
    expect(await w.db.selectFrom('receipts').select('id').where('document_id', '=', doc.id).execute()).toHaveLength(3)
  })

  it("a collaborator's receipt names only the recipients of their own deliveries, never other people's addresses", async () => {
    const { client } = await w.clientWithAdmin()
    const doc = await w.doc(client, 'Folha Março 2026')
    const caio = await makeUser(w.db, { clientId: client.id, username: 'caio', name: 'Caio Lima', email: 'caio@padaria.com.br', role: 'collaborator', active: true })
    await createDelivery(w.db, w.t.key, ACCOUNTANT, { documentId: doc.id, channel: 'email', recipient: 'Caio@Padaria.com.br' })
    await createDelivery(w.db, w.t.key, ACCOUNTANT, { documentId: doc.id, channel: 'email', recipient: 'socio.secreto@example.com' })
    await createDelivery(w.db, w.t.key, ACCOUNTANT, { documentId: doc.id, channel: 'whatsapp', recipient: '+5511987654321' })
    const { receipt, bytes } = await open(doc.id, await w.cookieFor(caio))
    expect(receipt.deliveries.map((d) => [d.channel, d.recipient, d.recipientWithheld])).toEqual([
      ['email', 'Caio@Padaria.com.br', false],
      ['email', null, true],
      ['whatsapp', null, true],
    ])
    const everything = `${bytes.toString('latin1')}${JSON.stringify(receipt)}`
    expect(everything).not.toContain('socio.secreto')
    expect(everything).not.toContain('987654321')
    expect(verifyReceipt(receipt, loadSigningKeys(w.t.config.signingKeyFile).all)).toMatchObject({ ok: true })
  })
})

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { extractReceiptJson } from '../../src/core/proof/receipt-pdf/index.js'
import { parseReceipt, verifyReceipt } from '../../src/core/proof/receipts.js'
import { dropAccessLogTriggers } from '../helpers/access-log.js'
import { createPortalWorld, type PortalWorld } from '../helpers/portal.js'

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
  loadSigningKeys(w.t.config.signingKeyFile, { create: true })
})
afterEach(async () => w.close())

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
    const receipt = parseReceipt(await extractReceiptJson(new Uint8Array(await response.arrayBuffer())))
    // Caio's view carries his IP and browser: even an admin's receipt holds only her own rows.
    expect(await w.db.selectFrom('access_log').select('username').where('document_id', '=', doc.id).orderBy('id').execute()).toEqual([
      { username: 'caio' },
      { username: 'ana' },
    ])
    expect(receipt.rows.map((r) => [r.username, r.action, r.channel])).toEqual([['ana', 'view', 'portal']])
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
    await w.db.updateTable('access_log').set({ ip: '198.51.100.7' }).where('id', '=', receipt.rows[0].id as number).execute()
    await w.db.updateTable('access_log').set({ hash: '0'.repeat(64) }).where('id', '=', receipt.rows[0].id as number).execute()
    const changed = await w.request(new URL(receipt.url).pathname)
    expect(changed.status).toBe(409)
    expect(await changed.text()).toMatch(/Comprovante não confere: row \d+ is no longer in the access log as it was/)
  })
})

// Issue 20 part 6 in the portal: "Baixar protocolo" on an upload's page, on a request's page after
// "nada a enviar", and on a guide's page after a paid mark; only for those who may see them.
import { describe, expect, it } from 'vitest'
import { markPaid } from '../../src/core/documents/payments.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import type { Protocol } from '../../src/core/proof/protocol-format.js'
import { parseAnyReceipt, verifyProtocol } from '../../src/core/proof/protocol-verify.js'
import { extractReceiptJson } from '../../src/core/proof/receipt-pdf/index.js'
import { addDays, localDate } from '../../src/core/time.js'
import { ACCOUNTANT, makeDocument } from '../helpers/factories.js'
import { ORIGIN, usePortalWorld } from '../helpers/portal.js'
import { multipart, PDF } from '../core/uploads/multipart.js'

const w = usePortalWorld()
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'

async function world() {
  loadSigningKeys(w.t.config.signingKeyFile, { create: true })
  const { client, ana } = await w.clientWithAdmin()
  const caio = await w.user(client, 'caio')
  await w.hide(caio, { categories: ['contabil'] })
  const pending = await w.user(client, 'duda', { status: 'pending' })
  const other = await w.client('Oficina Ltda')
  const stranger = await w.user(other, 'gil', { role: 'admin' })
  return { client, ana, caio, pending, stranger, cookie: await w.cookieFor(ana) }
}

async function download(path: string, cookie: string): Promise<{ response: Response; protocol: Protocol }> {
  const response = await w.request(path, { cookie })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('application/pdf')
  expect(response.headers.get('cache-control')).toBe('no-store')
  const protocol = parseAnyReceipt(await extractReceiptJson(new Uint8Array(await response.arrayBuffer()))) as Protocol
  expect(verifyProtocol(protocol, loadSigningKeys(w.t.config.signingKeyFile).all)).toMatchObject({ ok: true, problems: [] })
  return { response, protocol }
}

async function refusedTo(path: string, users: { id: number }[]) {
  for (const user of users) expect((await w.request(path, { cookie: await w.cookieFor(user as never) })).status, `user ${user.id}`).not.toBe(200)
  expect((await w.request(path)).status).not.toBe(200)
}

describe(`"Baixar protocolo" in the portal on ${backend}`, () => {
  it('on an upload: the PDF of what was sent, the same one twice, and nobody else gets it', async () => {
    const { client, ana, caio, pending, stranger, cookie } = await world()
    const form = multipart([
      { name: 'empresa', value: String(client.id) },
      { name: 'categoria', value: 'contabil' },
      { name: 'nota', value: 'Segue o extrato' },
      { name: 'arquivos', filename: 'extrato.pdf', content: PDF, type: 'application/pdf' },
    ])
    const sent = await w.app.request(
      '/enviar',
      { method: 'POST', headers: { origin: ORIGIN, cookie, 'content-type': form.contentType }, body: form.body, redirect: 'manual' },
      { incoming: { socket: { remoteAddress: '198.51.100.4', remotePort: 40000 } } } as never,
    )
    const id = Number(/^\/envios\/(\d+)/.exec(sent.headers.get('location')!)![1])
    const page = await (await w.request(`/envios/${id}`, { cookie })).text()
    expect(page).toContain(`<a href="/envios/${id}/protocolo">Baixar protocolo</a>`)
    const { response, protocol } = await download(`/envios/${id}/protocolo`, cookie)
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="protocolo-envio-${id}.pdf"`)
    expect(protocol).toMatchObject({ subject: 'upload', note: 'Segue o extrato', upload: { id, files: [{ name: 'extrato.pdf' }] }, row: { user_id: ana.id, ip: '198.51.100.4' } })
    expect((await download(`/envios/${id}/protocolo`, cookie)).protocol).toEqual(protocol)
    expect(await w.db.selectFrom('receipts').select('created_by').execute()).toEqual([{ created_by: 'user:ana' }])
    await refusedTo(`/envios/${id}/protocolo`, [caio, pending, stranger])
    expect((await w.request(`/envios/${id + 50}/protocolo`, { cookie })).status).toBe(404)
    expect((await w.request('/envios/abc/protocolo', { cookie })).status).toBe(404)

    // The page behind the QR code re-checks it.
    const check = await w.request(new URL(protocol.url).pathname)
    expect(check.status).toBe(200)
    const html = await check.text()
    expect(html).toContain('<h1>Protocolo de envio</h1>')
    expect(html).toContain('Comprovante válido')
    expect(html).toContain('1 arquivo')
  })

  it('on a request after "nada a enviar", and on a guide after a paid mark', async () => {
    const { client, caio, stranger, cookie } = await world()
    const at = new Date().toISOString()
    const { id } = await w.db
      .insertInto('requests')
      .values({ client_id: client.id, template_id: null, title: 'Extrato bancário', category: 'contabil', competence: '2026-11', due_date: '2026-12-05', note: null, status: 'open', created_at: at, created_by: 'cli:test', updated_at: at } as never)
      .returning('id')
      .executeTakeFirstOrThrow()
    expect(await (await w.request(`/pendencias/${id}`, { cookie })).text()).not.toContain('Baixar protocolo')
    expect((await w.request(`/pendencias/${id}/protocolo`, { cookie })).status).toBe(404)
    expect((await w.request(`/pendencias/${id}/nada-a-enviar`, { cookie, form: { observacao: 'Sem movimento' } })).status).toBe(303)
    expect(await (await w.request(`/pendencias/${id}`, { cookie })).text()).toContain(`<a href="/pendencias/${id}/protocolo">Baixar protocolo</a>`)
    const nothing = await download(`/pendencias/${id}/protocolo`, cookie)
    expect(nothing.protocol).toMatchObject({ subject: 'nothing_to_send', note: 'Sem movimento', request: { id: Number(id), title: 'Extrato bancário' } })
    await refusedTo(`/pendencias/${id}/protocolo`, [caio, stranger])

    const guide = await makeDocument(w.t, client.id, { title: 'DAS', competence: localDate().slice(0, 7), dueDate: addDays(localDate(), 3) })
    expect(await (await w.request(`/documents/${guide.id}`, { cookie })).text()).not.toContain('Baixar protocolo')
    expect((await w.request(`/documents/${guide.id}/protocolo`, { cookie })).status).toBe(404)
    expect((await w.request(`/documents/${guide.id}/pago`, { cookie, form: { paid_on: localDate() } })).status).toBe(303)
    expect(await (await w.request(`/documents/${guide.id}`, { cookie })).text()).toContain(`<a href="/documents/${guide.id}/protocolo">Baixar protocolo</a>`)
    const paid = await download(`/documents/${guide.id}/protocolo`, cookie)
    expect(paid.protocol).toMatchObject({ subject: 'paid', payment: { document: { id: guide.id, title: 'DAS' }, by: 'client', paidOn: localDate() } })
    await refusedTo(`/documents/${guide.id}/protocolo`, [stranger])
    expect(paid.response.headers.get('content-disposition')).toBe(`attachment; filename="protocolo-pagamento-${guide.id}.pdf"`)
  })

  it('a guide the firm marked paid: the client may still download its protocol', async () => {
    const { client, cookie } = await world()
    const guide = await makeDocument(w.t, client.id, { title: 'DARF', competence: localDate().slice(0, 7), dueDate: addDays(localDate(), 3) })
    await markPaid(w.db, ACCOUNTANT, guide.id, { paidOn: localDate() })
    const { protocol } = await download(`/documents/${guide.id}/protocolo`, cookie)
    expect(protocol).toMatchObject({ payment: { by: 'firm' }, row: { user_id: null } })
  })
})

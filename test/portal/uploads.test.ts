import { describe, expect, it } from 'vitest'
import { disableUser } from '../../src/core/identity/users.js'
import { ACCOUNTANT } from '../helpers/factories.js'
import { ORIGIN, usePortalWorld } from '../helpers/portal.js'
import { EXE, JPEG, multipart, PDF, type Part } from '../core/uploads/multipart.js'

const w = usePortalWorld()

function post(path: string, cookie: string | null, parts: Part[], options: { body?: Buffer; contentType?: string; origin?: string } = {}) {
  const form = multipart(parts)
  const headers: Record<string, string> = { origin: options.origin ?? ORIGIN, 'content-type': options.contentType ?? form.contentType }
  if (cookie) headers.cookie = cookie
  return w.app.request(
    path,
    { method: 'POST', headers, body: options.body ?? form.body, redirect: 'manual' },
    { incoming: { socket: { remoteAddress: '198.51.100.4', remotePort: 40000 } } } as never,
  )
}

async function addRequest(clientId: number, category = 'contabil'): Promise<number> {
  const at = new Date().toISOString()
  const row = await w.db
    .insertInto('requests')
    .values({ client_id: clientId, template_id: null, title: 'Extrato bancário', category, competence: '2026-11', due_date: '2026-12-05', note: null, status: 'open', created_at: at, created_by: 'cli:test', updated_at: at } as never)
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

const pdf = (name = 'extrato.pdf', content: Buffer | string = PDF): Part => ({ name: 'arquivos', filename: name, content, type: 'application/pdf' })
const fields = (clientId: number, category = 'contabil'): Part[] => [
  { name: 'empresa', value: String(clientId) },
  { name: 'categoria', value: category },
  { name: 'nota', value: 'Segue o extrato' },
]

async function uploadCount(): Promise<number> {
  return (await w.db.selectFrom('uploads').select('id').execute()).length
}

describe('sending files to the firm', () => {
  it('is reachable from every page of the client area: "Enviar ao escritório" in the menu', async () => {
    const { ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    expect(await (await w.request('/', { cookie })).text()).toContain('<a href="/enviar">Enviar<span class="wide"> ao escritório</span></a>')
    expect(await (await w.request('/enviar', { cookie })).text()).toContain('<a href="/enviar" aria-current="page">Enviar<span class="wide"> ao escritório</span></a>')
    expect(await (await w.request('/login')).text()).not.toContain('href="/enviar"')
  })

  it('shows the form, takes the files, and shows the upload with its history and its files as attachments', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const page = await w.request('/enviar', { cookie })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('enctype="multipart/form-data"')
    expect(html).toMatch(/<input[^>]*name="arquivos"[^>]*type="file"[^>]*multiple/)
    // More than the portal's 64 KB form limit: uploads have their own.
    const big = Buffer.concat([PDF, Buffer.alloc(200 * 1024, 0x20)])
    const sent = await post('/enviar', cookie, [...fields(client.id), pdf('extrato.pdf', big), { name: 'arquivos', filename: 'recibo.jpg', content: JPEG }])
    expect(sent.status).toBe(303)
    const location = sent.headers.get('location')!
    expect(location).toMatch(/^\/envios\/\d+\?aviso=enviado$/)
    const view = await w.request(location, { cookie })
    expect(view.status).toBe(200)
    const body = await view.text()
    expect(body).toContain('Arquivos enviados. O escritório foi avisado')
    expect(body).toContain('extrato.pdf')
    expect(body).toContain('Aguardando o escritório')
    expect(body).toContain('Enviado por Nome ana')
    const fileLink = /href="(\/envios\/\d+\/arquivos\/\d+)"/.exec(body)![1]
    const file = await w.request(fileLink, { cookie })
    expect(file.status).toBe(200)
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="extrato.pdf"/)
    expect(file.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await file.arrayBuffer())).toEqual(big)
  })

  it('answers a request from its page', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const requestId = await addRequest(client.id)
    const sent = await post(`/pendencias/${requestId}/enviar`, await w.cookieFor(ana), [pdf(), { name: 'nota', value: 'ok' }])
    expect(sent.status).toBe(303)
    const request = await w.db.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirstOrThrow()
    expect(request.status).toBe('received')
    const upload = await w.db.selectFrom('uploads').selectAll().executeTakeFirstOrThrow()
    expect(Number(upload.request_id)).toBe(requestId)
    expect(upload.note).toBe('ok')
  })
})

describe('who may not send', () => {
  it('refuses strangers, link-only visitors, pending and disabled users, and a cross-site form', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const requestId = await addRequest(client.id)
    const stranger = await post(`/pendencias/${requestId}/enviar`, null, [pdf()])
    expect(stranger.status).toBe(303)
    expect(stranger.headers.get('location')).toMatch(/^\/login/)
    const pending = await w.user(client, 'pendente', { status: 'pending' })
    const pendingVisit = await post(`/pendencias/${requestId}/enviar`, await w.cookieFor(pending, 'delivery'), [pdf()])
    expect([303, 403]).toContain(pendingVisit.status)
    const linkOnly = await post('/enviar', await w.cookieFor(ana, 'delivery'), [...fields(client.id), pdf()])
    expect(linkOnly.status).toBe(303)
    expect(linkOnly.headers.get('location')).toMatch(/^\/login/)
    const gone = await w.user(client, 'saiu')
    const goneCookie = await w.cookieFor(gone)
    await disableUser(w.db, ACCOUNTANT, gone.id)
    const disabled = await post('/enviar', goneCookie, [...fields(client.id), pdf()])
    expect(disabled.status).not.toBe(200)
    expect(disabled.headers.get('location') ?? '').not.toMatch(/envios/)
    const crossSite = await post('/enviar', await w.cookieFor(ana), [...fields(client.id), pdf()], { origin: 'https://evil.example' })
    expect(crossSite.status).toBe(403)
    expect(await uploadCount()).toBe(0)
  })

  it('answers 404 to a collaborator without the category and to a user of another client, and hides their uploads', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const requestId = await addRequest(client.id, 'pessoal')
    const caio = await w.user(client, 'caio')
    await w.hide(caio, { categories: ['pessoal'] })
    const hidden = await post(`/pendencias/${requestId}/enviar`, await w.cookieFor(caio), [pdf()])
    expect(hidden.status).toBe(404)
    const other = await w.client('Outra Empresa Ltda')
    const zeca = await w.user(other, 'zeca', { role: 'admin' })
    expect((await post(`/pendencias/${requestId}/enviar`, await w.cookieFor(zeca), [pdf()])).status).toBe(404)
    expect((await post('/enviar', await w.cookieFor(zeca), [...fields(client.id), pdf()])).status).toBe(404)
    expect(await uploadCount()).toBe(0)
    const sent = await post(`/pendencias/${requestId}/enviar`, await w.cookieFor(ana), [pdf()])
    const path = sent.headers.get('location')!.split('?')[0]
    expect((await w.request(path, { cookie: await w.cookieFor(caio) })).status).toBe(404)
    expect((await w.request(path, { cookie: await w.cookieFor(zeca) })).status).toBe(404)
    expect((await w.request(`${path}/arquivos/1`, { cookie: await w.cookieFor(zeca) })).status).toBe(404)
  })
})

describe('refused files', () => {
  it('answers 413 over the limit, 415 for a type not accepted or a renamed executable, 400 for a cut body, in pt-BR', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    await w.db.updateTable('firm_options').set({ upload_max_mb: 1 }).execute()
    const tooBig = await post('/enviar', cookie, [...fields(client.id), pdf('grande.pdf', Buffer.concat([PDF, Buffer.alloc(1024 * 1024 + 1)]))])
    expect(tooBig.status).toBe(413)
    expect(await tooBig.text()).toContain('O arquivo &quot;grande.pdf&quot; passa de 1 MB')
    const exe = await post('/enviar', cookie, [...fields(client.id), pdf('extrato.pdf', EXE)])
    expect(exe.status).toBe(415)
    expect(await exe.text()).toContain('Envie PDF, JPEG, PNG, HEIC, XML, OFX, CSV ou XLSX')
    const gif = await post('/enviar', cookie, [...fields(client.id), { name: 'arquivos', filename: 'a.gif', content: 'GIF89a' }])
    expect(gif.status).toBe(415)
    const whole = multipart([...fields(client.id), pdf('extrato.pdf', Buffer.concat([PDF, Buffer.alloc(100 * 1024, 0x41)]))])
    const cut = await post('/enviar', cookie, [], { body: whole.body.subarray(0, 50 * 1024), contentType: whole.contentType })
    expect(cut.status).toBe(400)
    expect(await cut.text()).toContain('O envio foi interrompido antes de terminar e nada foi guardado')
    const requestId = await addRequest(client.id)
    const none = await post(`/pendencias/${requestId}/enviar`, cookie, [{ name: 'arquivos', filename: '', content: '' }])
    expect(none.status).toBe(400)
    expect(await none.text()).toContain('Escolha pelo menos um arquivo')
    expect(await uploadCount()).toBe(0)
    const logged = await w.db.selectFrom('access_log').select('id').where('kind', 'like', 'upload.%').execute()
    expect(logged).toEqual([])
  })
})

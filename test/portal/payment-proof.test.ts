// Issue 20 part 7 with the proof: "Marcar como pago" is a multipart form whose optional file is
// stored as an upload of the guide's company; the upload and the mark commit together, and a
// refusal (of the file, or of the mark after the file arrived) leaves no row and no log row.
import { describe, expect, it } from 'vitest'
import { addDays, localDate } from '../../src/core/time.js'
import { makeDocument } from '../helpers/factories.js'
import { ORIGIN, usePortalWorld } from '../helpers/portal.js'
import { EXE, multipart, PDF, type Part } from '../core/uploads/multipart.js'

const w = usePortalWorld()
const today = localDate()
const br = (iso: string) => iso.split('-').reverse().join('/')

async function guideWorld() {
  const { client, ana } = await w.clientWithAdmin()
  const guide = await makeDocument(w.t, client.id, { title: 'DAS', competence: today.slice(0, 7), dueDate: addDays(today, 3) })
  return { client, ana, guide, cookie: await w.cookieFor(ana) }
}

function post(path: string, cookie: string, parts: Part[]) {
  const form = multipart(parts)
  return w.app.request(
    path,
    { method: 'POST', headers: { origin: ORIGIN, cookie, 'content-type': form.contentType }, body: form.body, redirect: 'manual' },
    { incoming: { socket: { remoteAddress: '198.51.100.4', remotePort: 40000 } } } as never,
  )
}

const paidOn = (value: string): Part => ({ name: 'paid_on', value })
const proof = (content: Buffer | string = PDF, filename = 'comprovante.pdf'): Part => ({ name: 'arquivos', filename, content, type: 'application/pdf' })
// What a browser sends for a file input left empty.
const noFile: Part = { name: 'arquivos', filename: '', content: '' }

async function written() {
  const [uploads, files, payments, outbox] = await Promise.all([
    w.db.selectFrom('uploads').selectAll().execute(),
    w.db.selectFrom('upload_files').selectAll().execute(),
    w.db.selectFrom('document_payments').selectAll().execute(),
    w.db.selectFrom('outbox').selectAll().where('kind', '=', 'inbox').execute(),
  ])
  const log = await w.db.selectFrom('access_log').select(['kind', 'details']).where('kind', 'in', ['upload.received', 'document.paid']).orderBy('id').execute()
  return { uploads, files, payments, outbox, log }
}

async function expectNothingWritten() {
  const now = await written()
  expect(now.uploads).toEqual([])
  expect(now.files).toEqual([])
  expect(now.payments).toEqual([])
  expect(now.outbox).toEqual([])
  expect(now.log).toEqual([])
}

describe('a guide marked paid with its proof', () => {
  it('offers a multipart form with an optional file input', async () => {
    const { guide, cookie } = await guideWorld()
    const html = await (await w.request(`/documents/${guide.id}`, { cookie })).text()
    expect(html).toContain(`<form method="post" action="/documents/${guide.id}/pago" enctype="multipart/form-data">`)
    const input = /<input id="pay-arquivos"[^>]*>/.exec(html)![0]
    expect(input).toContain('name="arquivos"')
    expect(input).toContain('type="file"')
    expect(input).not.toContain('required')
    expect(input).not.toContain('multiple')
    expect(html).toContain('Comprovante do pagamento (opcional)')
    expect(html).toContain('até 25 MB')
  })

  it('stores the proof as an upload of the guide’s company and marks the guide in one transaction, linking the proof', async () => {
    const { client, guide, cookie } = await guideWorld()
    await w.db.updateTable('firm_options').set({ inbox_email: 'recebidos@escritorio.com.br', mail_from: 'confi@escritorio.com.br' }).execute()
    const day = addDays(today, -1)
    // Over the portal's 64 KB form limit: the proof has the uploads' limits.
    const big = Buffer.concat([PDF, Buffer.alloc(100 * 1024, 0x20)])
    const response = await post(`/documents/${guide.id}/pago`, cookie, [paidOn(br(day)), proof(big)])
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/documents/${guide.id}?aviso=pago`)
    const now = await written()
    expect(now.uploads).toHaveLength(1)
    const upload = now.uploads[0]
    expect(upload).toMatchObject({ request_id: null, category: 'fiscal', status: 'received', note: `Comprovante de pagamento: DAS (documento ${guide.id})` })
    expect(Number(upload.client_id)).toBe(client.id)
    expect(now.files.map((f) => [f.file_name, f.media_type, Number(f.size), f.fiscal])).toEqual([['comprovante.pdf', 'application/pdf', big.length, null]])
    expect(now.payments.map((p) => [p.paid_on, Number(p.proof_upload_id)])).toEqual([[day, Number(upload.id)]])
    expect(now.outbox).toHaveLength(1)
    expect(now.log.map((r) => r.kind)).toEqual(['upload.received', 'document.paid'])
    expect(now.log[1].details).toBe(`{"by":"client","paid_on":"${day}","proof_upload_id":${upload.id}}`)
    const page = await (await w.request(`/documents/${guide.id}?aviso=pago`, { cookie })).text()
    expect(page).toContain(`Pago em ${br(day)} por Nome ana.`)
    expect(page).toContain(`<a href="/envios/${upload.id}">Comprovante do pagamento</a>`)
    const uploadPage = await w.request(`/envios/${upload.id}`, { cookie })
    expect(uploadPage.status).toBe(200)
    expect(await uploadPage.text()).toContain('comprovante.pdf')
  })

  it('marks without a proof when the file input is left empty: no upload', async () => {
    const { guide, cookie } = await guideWorld()
    const response = await post(`/documents/${guide.id}/pago`, cookie, [paidOn(today), noFile])
    expect(response.status).toBe(303)
    const now = await written()
    expect(now.uploads).toEqual([])
    expect(now.payments.map((p) => [p.paid_on, p.proof_upload_id])).toEqual([[today, null]])
    expect(now.log.map((r) => r.details)).toEqual([`{"by":"client","paid_on":"${today}","proof_upload_id":null}`])
  })

  it('refuses a proof of a type not accepted (415) and one over the limit (413), next to the file input, writing nothing', async () => {
    const { guide, cookie } = await guideWorld()
    const typed = br(today)
    const exe = await post(`/documents/${guide.id}/pago`, cookie, [paidOn(typed), proof(EXE, 'comprovante.pdf')])
    expect(exe.status).toBe(415)
    const exeHtml = await exe.text()
    expect(exeHtml).toContain('id="pay-arquivos-error"')
    expect(exeHtml).toContain('não é de um tipo aceito')
    await w.db.updateTable('firm_options').set({ upload_max_mb: 1 }).execute()
    const large = Buffer.concat([PDF, Buffer.alloc(1024 * 1024 + 10, 0x20)])
    const earlier = br(addDays(today, -2))
    const big = await post(`/documents/${guide.id}/pago`, cookie, [paidOn(earlier), proof(large)])
    expect(big.status).toBe(413)
    const bigHtml = await big.text()
    expect(bigHtml).toContain('passa de 1 MB')
    // The date typed is kept: core reads it only after the proof, so it comes from the refusal.
    expect(bigHtml).toMatch(new RegExp(`<input id="pay-paid-on"[^>]* value="${earlier}"`))
    expect(bigHtml).toContain('Marcar como pago')
    const two = await post(`/documents/${guide.id}/pago`, cookie, [paidOn(typed), proof(), proof(PDF, 'outro.pdf')])
    expect(two.status).toBe(400)
    await expectNothingWritten()
  })

  it('leaves nothing half-written when the mark is refused after the file arrived', async () => {
    const { guide, cookie } = await guideWorld()
    const future = await post(`/documents/${guide.id}/pago`, cookie, [paidOn(br(addDays(today, 1))), proof()])
    expect(future.status).toBe(400)
    const html = await future.text()
    expect(html).toContain('não pode ser depois de hoje')
    expect(html).toContain(`value="${br(addDays(today, 1))}"`)
    await expectNothingWritten()
    // A second mark is refused (409) with its proof: the first mark's upload is the only one.
    expect((await post(`/documents/${guide.id}/pago`, cookie, [paidOn(today), proof()])).status).toBe(303)
    const again = await post(`/documents/${guide.id}/pago`, cookie, [paidOn(today), proof(Buffer.from('%PDF-1.4\n% outro\n%%EOF\n'))])
    expect(again.status).toBe(409)
    const now = await written()
    expect(now.uploads).toHaveLength(1)
    expect(now.files).toHaveLength(1)
    expect(now.log.map((r) => r.kind)).toEqual(['upload.received', 'document.paid'])
  })

  it('refuses a collaborator who cannot see the guide (404) and a pending user before storing anything', async () => {
    const { client, guide } = await guideWorld()
    const bia = await w.user(client, 'bia')
    await w.hide(bia, { categories: ['fiscal'] })
    const hidden = await post(`/documents/${guide.id}/pago`, await w.cookieFor(bia), [paidOn(today), proof()])
    expect(hidden.status).toBe(404)
    const duda = await w.user(client, 'duda', { status: 'pending' })
    const pending = await post(`/documents/${guide.id}/pago`, await w.cookieFor(duda), [paidOn(today), proof()])
    expect(pending.status === 303 && pending.headers.get('location')?.startsWith('/documents/')).toBe(false)
    await expectNothingWritten()
  })

  it('keeps the portal’s small limit for a form that is not multipart', async () => {
    const { guide, cookie } = await guideWorld()
    const response = await w.request(`/documents/${guide.id}/pago`, { cookie, body: `paid_on=${today}&x=${'a'.repeat(100 * 1024)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(response.status).toBe(413)
    await expectNothingWritten()
  })
})

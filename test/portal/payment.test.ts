// Issue 20 part 7 in the portal: "Marcar como pago" on a guide's page, "Pago em … por …", and
// "Desmarcar", for the people core allows; every refusal with its status and nothing stored.
import { describe, expect, it } from 'vitest'
import { markPaid } from '../../src/core/documents/payments.js'
import { addDays, localDate } from '../../src/core/time.js'
import { ACCOUNTANT, makeDocument } from '../helpers/factories.js'
import { usePortalWorld } from '../helpers/portal.js'

const w = usePortalWorld()
const today = localDate()
const br = (iso: string) => iso.split('-').reverse().join('/')

async function guideWorld() {
  const { client, ana } = await w.clientWithAdmin()
  const guide = await makeDocument(w.t, client.id, { title: 'DAS', competence: today.slice(0, 7), dueDate: addDays(today, 3) })
  return { client, ana, guide, cookie: await w.cookieFor(ana) }
}

const payments = () => w.db.selectFrom('document_payments').selectAll().execute()
// Event rows, not accesses: read from the log directly (accessRows holds accesses only since format 2).
const paidRows = () => w.db.selectFrom('access_log').selectAll().where('kind', 'in', ['document.paid', 'document.unpaid']).orderBy('id').execute()

describe('a guide marked paid in the portal', () => {
  it('offers the form on a guide only, with today as the date and no later day', async () => {
    const { client, guide, cookie } = await guideWorld()
    const html = await (await w.request(`/documents/${guide.id}`, { cookie })).text()
    expect(html).toContain(`<form method="post" action="/documents/${guide.id}/pago" enctype="multipart/form-data">`)
    expect(html).toMatch(new RegExp(`<input id="pay-paid-on" name="paid_on" type="date" value="${today}" required="" max="${today}"`))
    expect(html).toContain('Marcar como pago')
    const contract = await makeDocument(w.t, client.id, { title: 'Contrato social', category: 'societario' })
    const other = await (await w.request(`/documents/${contract.id}`, { cookie })).text()
    expect(other).not.toContain('Marcar como pago')
  })

  it('marks it paid, shows "Pago em … por …" with "Desmarcar", and takes it out of "A vencer"', async () => {
    const { guide, cookie } = await guideWorld()
    const dueSoon = async () => /<section class="card due"[\s\S]*?<\/section>/.exec(await (await w.request('/', { cookie })).text())![0]
    expect(await dueSoon()).toContain(`href="/documents/${guide.id}"`)
    const paidOn = addDays(today, -2)
    const response = await w.request(`/documents/${guide.id}/pago`, { cookie, form: { paid_on: br(paidOn) }, ip: '203.0.113.7' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/documents/${guide.id}?aviso=pago`)
    const page = await (await w.request(`/documents/${guide.id}?aviso=pago`, { cookie })).text()
    expect(page).toContain('Guia marcada como paga.')
    expect(page).toContain(`Pago em ${br(paidOn)} por Nome ana.`)
    expect(page).toContain(`action="/documents/${guide.id}/pago/desmarcar"`)
    expect(page).not.toContain('Marcar como pago')
    expect(await dueSoon()).not.toContain(`href="/documents/${guide.id}"`)
    const [row] = await paidRows()
    expect(row).toMatchObject({ kind: 'document.paid', channel: 'portal', document_id: guide.id })
    expect(row.details).toBe(`{"by":"client","paid_on":"${paidOn}","proof_upload_id":null}`)
    expect(row.ip_commitment).toMatch(/^[0-9a-f]{64}$/)
  })

  it('accepts the date as a date picker sends it, and undoes the mark with "Desmarcar"', async () => {
    const { guide, cookie } = await guideWorld()
    expect((await w.request(`/documents/${guide.id}/pago`, { cookie, form: { paid_on: today } })).status).toBe(303)
    const undo = await w.request(`/documents/${guide.id}/pago/desmarcar`, { cookie, form: {} })
    expect(undo.status).toBe(303)
    expect(undo.headers.get('location')).toBe(`/documents/${guide.id}?aviso=desmarcado`)
    const page = await (await w.request(`/documents/${guide.id}?aviso=desmarcado`, { cookie })).text()
    expect(page).toContain('Marcação de pagamento desfeita.')
    expect(page).toContain('Marcar como pago')
    expect(await payments()).toEqual([])
    expect((await paidRows()).map((r) => [r.kind, r.details])).toEqual([
      ['document.paid', `{"by":"client","paid_on":"${today}","proof_upload_id":null}`],
      ['document.unpaid', '{"by":"client"}'],
    ])
  })

  it('shows a mark the firm made as made by the firm, and lets the client undo it', async () => {
    const { guide, cookie } = await guideWorld()
    await markPaid(w.db, ACCOUNTANT, guide.id, { paidOn: today })
    const page = await (await w.request(`/documents/${guide.id}`, { cookie })).text()
    expect(page).toContain(`Pago em ${br(today)} por seu escritório de contabilidade.`)
    expect((await w.request(`/documents/${guide.id}/pago/desmarcar`, { cookie, form: {} })).status).toBe(303)
  })

  it('refuses a future date, a date before the competência year, and nonsense, next to the field (400)', async () => {
    const { guide, cookie } = await guideWorld()
    const cases: [string, string][] = [
      [br(addDays(today, 1)), 'não pode ser depois de hoje'],
      [`31/12/${Number(today.slice(0, 4)) - 1}`, 'anterior ao ano da competência'],
      ['31/02/2026', 'Data do pagamento inválida'],
      ['ontem', 'Data do pagamento inválida'],
    ]
    for (const [typed, message] of cases) {
      const response = await w.request(`/documents/${guide.id}/pago`, { cookie, form: { paid_on: typed } })
      expect(response.status, typed).toBe(400)
      const html = await response.text()
      expect(html).toContain(message)
      expect(html).toContain('id="pay-paid-on-error"')
      expect(html).toContain(`value="${typed}"`)
    }
    expect(await payments()).toEqual([])
    expect(await paidRows()).toEqual([])
  })

  it('refuses a second mark (409) and an undo of nothing (409)', async () => {
    const { guide, cookie } = await guideWorld()
    expect((await w.request(`/documents/${guide.id}/pago`, { cookie, form: { paid_on: today } })).status).toBe(303)
    const again = await w.request(`/documents/${guide.id}/pago`, { cookie, form: { paid_on: today } })
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('já foi marcada como paga')
    await w.request(`/documents/${guide.id}/pago/desmarcar`, { cookie, form: {} })
    const nothing = await w.request(`/documents/${guide.id}/pago/desmarcar`, { cookie, form: {} })
    expect(nothing.status).toBe(409)
    expect(await nothing.text()).toContain('não está marcada como paga')
  })

  it('refuses a non-guide (409), a collaborator without the category and another client (404), pending and disabled users', async () => {
    const { client, guide, cookie } = await guideWorld()
    const contract = await makeDocument(w.t, client.id, { title: 'Contrato', category: 'societario' })
    const notAGuide = await w.request(`/documents/${contract.id}/pago`, { cookie, form: { paid_on: today } })
    expect(notAGuide.status).toBe(409)
    expect(await notAGuide.text()).toContain('Só uma guia com data de vencimento')
    const bia = await w.user(client, 'bia')
    await w.hide(bia, { categories: ['fiscal'] })
    const other = await w.client('Oficina Ltda')
    const gil = await w.user(other, 'gil', { role: 'admin' })
    for (const user of [bia, gil]) {
      const response = await w.request(`/documents/${guide.id}/pago`, { cookie: await w.cookieFor(user), form: { paid_on: today } })
      expect(response.status, user.username).toBe(404)
    }
    const duda = await w.user(client, 'duda', { status: 'pending' })
    const edu = await w.user(client, 'edu', { status: 'disabled' })
    for (const user of [duda, edu]) {
      const response = await w.request(`/documents/${guide.id}/pago`, { cookie: await w.cookieFor(user), form: { paid_on: today } })
      expect(response.status === 303 && response.headers.get('location')?.startsWith('/documents/'), user.username).toBe(false)
    }
    expect(await payments()).toEqual([])
    expect(await paidRows()).toEqual([])
  })

  it('refuses a form posted from another site (403) and a visitor without a session', async () => {
    const { guide, cookie } = await guideWorld()
    const forged = await w.request(`/documents/${guide.id}/pago`, { cookie, form: { paid_on: today }, headers: { origin: 'https://evil.example' } })
    expect(forged.status).toBe(403)
    const anonymous = await w.request(`/documents/${guide.id}/pago`, { form: { paid_on: today } })
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toMatch(/^\/login/)
    expect(await payments()).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { addRequest, closeRequest, getRequest, reopenRequest, requestHistory } from '../../src/core/requests/index.js'
import { addDays, localDate } from '../../src/core/time.js'
import { ACCOUNTANT } from '../helpers/factories.js'
import { ORIGIN, usePortalWorld, visible } from '../helpers/portal.js'
import { EXE, multipart, PDF, type Part } from '../core/uploads/multipart.js'

const w = usePortalWorld()
const today = localDate()

async function world() {
  const { client, ana } = await w.clientWithAdmin()
  const ask = (title: string, days: number, extra: { category?: string; competence?: string; note?: string; clientId?: number } = {}) =>
    addRequest(w.db, ACCOUNTANT, { clientId: client.id, title, dueDate: addDays(today, days), ...extra })
  return { client, ana, ask, cookie: await w.cookieFor(ana) }
}

describe('Pendências on the client area home', () => {
  it('lists the open requests above "A vencer", overdue first then by due date, with the firm’s reason for a reopened one', async () => {
    const { client, cookie, ask } = await world()
    await w.doc(client, 'DAS Março 2026')
    const later = await ask('Extrato bancário', 5, { competence: '2026-11' })
    const late = await ask('Notas fiscais de entrada', -2)
    const done = await ask('Contrato social', 1)
    const again = await ask('Folha de ponto', 2)
    await closeRequest(w.db, ACCOUNTANT, done.id)
    await closeRequest(w.db, ACCOUNTANT, again.id)
    await reopenRequest(w.db, ACCOUNTANT, again.id, { reason: 'Falta a segunda quinzena', mail: null })
    const response = await w.request('/', { cookie })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html.indexOf('Pendências')).toBeGreaterThan(0)
    expect(html.indexOf('Pendências')).toBeLessThan(html.indexOf('A vencer'))
    const order = [late, again, later].map((r) => html.indexOf(`href="/pendencias/${r.id}"`))
    expect(order.every((i) => i > 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    expect(html).not.toContain(`/pendencias/${done.id}"`)
    const words = visible(html)
    expect(words).toContain('Atrasado há 2 dias')
    expect(words).toContain('Prazo: em 5 dias')
    expect(words).toContain('Extrato bancário · 11/2026')
    expect(words).toContain('O escritório pediu um novo envio. Motivo: Falta a segunda quinzena')
  })

  it('shows no Pendências block when nothing is asked', async () => {
    const { cookie } = await world()
    const html = await (await w.request('/', { cookie })).text()
    expect(html).not.toContain('Pendências')
  })
})

describe('the request page', () => {
  it('shows itself again when a file is refused, the error by the file field and the note kept (413, 415)', async () => {
    const { cookie, ask } = await world()
    const request = await ask('Extrato bancário', 3)
    await w.db.updateTable('firm_options').set({ upload_max_mb: 1 }).execute()
    const send = (file: Part) => {
      const form = multipart([{ name: 'nota', value: 'Conta 12345-6 <b>e poupança</b>' }, file])
      const headers = { origin: ORIGIN, cookie, 'content-type': form.contentType }
      const socket = { incoming: { socket: { remoteAddress: '198.51.100.4', remotePort: 40000 } } } as never
      return w.app.request(`/pendencias/${request.id}/enviar`, { method: 'POST', headers, body: form.body }, socket)
    }
    const big = await send({ name: 'arquivos', filename: 'extrato.pdf', content: Buffer.concat([PDF, Buffer.alloc(1024 * 1024 + 10, 0x20)]) })
    expect(big.status).toBe(413)
    const html = await big.text()
    expect(html).toContain('<h1>Extrato bancário</h1>')
    expect(html).toContain('<div class="error-summary"')
    expect(html).toMatch(/<p class="field-error" id="envio-arquivos-error">[^<]*passa de 1 MB/)
    expect(html).toContain('aria-describedby="envio-arquivos-error envio-arquivos-hint"')
    expect(html).toContain('<textarea id="envio-nota" name="nota" rows="3" maxlength="2000">Conta 12345-6 &lt;b&gt;e poupança&lt;/b&gt;</textarea>')
    expect(html).not.toContain('Voltar e tentar de novo')
    const exe = await send({ name: 'arquivos', filename: 'extrato.pdf', content: EXE })
    expect(exe.status).toBe(415)
    expect(await exe.text()).toContain('Conta 12345-6')
  })

  it('shows title, note, competência, due date in words, status, history and both answer forms', async () => {
    const { cookie, ask } = await world()
    const request = await ask('Extrato bancário', 3, { competence: '2026-11', note: 'Todas as contas, em PDF', category: 'contabil' })
    const response = await w.request(`/pendencias/${request.id}`, { cookie })
    expect(response.status).toBe(200)
    const html = await response.text()
    const words = visible(html)
    for (const text of ['Extrato bancário', 'Todas as contas, em PDF', '11/2026', ' · em 3 dias', 'Aguardando envio', 'Pedido feito pelo escritório']) {
      expect(words).toContain(text)
    }
    expect(html).toContain(`<form method="post" enctype="multipart/form-data" action="/pendencias/${request.id}/enviar">`)
    // The fields of every send form (views/uploads.tsx FileFields), with the firm's limits.
    expect(html).toMatch(/<input id="envio-arquivos" name="arquivos" type="file" multiple="" required="" accept="[^"]*image\/\*/)
    expect(words).toMatch(/Até \d+ arquivos de até \d+ MB cada/)
    // The note goes in the field the uploads intake reads (UPLOAD_FIELDS.note).
    expect(html).toContain('<textarea id="envio-nota" name="nota" rows="3" maxlength="2000">')
    expect(html).toContain(`<form method="post" action="/pendencias/${request.id}/nada-a-enviar">`)
    expect(words).toContain('Nada a enviar neste mês')
    // Plain client words: no status codes or English from core.
    expect(words).not.toMatch(/nothing_to_send|request|open\b/i)
  })

  it('answers "Nada a enviar neste mês" in one step: status, history, log row; a second answer is a conflict', async () => {
    const { client, ana, cookie, ask } = await world()
    const request = await ask('Notas fiscais de entrada', 1, { competence: '2026-11', category: 'fiscal' })
    const posted = await w.request(`/pendencias/${request.id}/nada-a-enviar`, { cookie, form: { observacao: 'Sem compras em novembro' }, ip: '203.0.113.9' })
    expect(posted.status).toBe(303)
    expect(posted.headers.get('location')).toBe(`/pendencias/${request.id}?feito=nada-a-enviar`)
    expect((await getRequest(w.db, request.id)).status).toBe('nothing_to_send')
    const [, step] = await requestHistory(w.db, request.id)
    expect([step.action, step.userId, step.note]).toEqual(['nothing_to_send', ana.id, 'Sem compras em novembro'])
    const rows = await w.db.selectFrom('access_log').selectAll().where('kind', '=', 'request.nothing_to_send').execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ client_id: client.id, channel: 'portal', document_id: null })
    expect(JSON.parse(rows[0].details!)).toEqual({ competence: '2026-11', request_id: request.id, title: 'Notas fiscais de entrada' })
    const personal = await w.db.selectFrom('access_log_personal').selectAll().where('id', '=', rows[0].id).executeTakeFirstOrThrow()
    expect([personal.username, personal.ip]).toEqual(['ana', '203.0.113.9'])

    const page = visible(await (await w.request(`/pendencias/${request.id}?feito=nada-a-enviar`, { cookie })).text())
    expect(page).toContain('Pronto: o escritório foi avisado de que não há nada a enviar.')
    expect(page).toContain('Informado: nada a enviar neste mês por Nome ana')
    expect(page).toContain('Sem compras em novembro')
    expect(page).not.toContain('Nada a enviar neste mês?')
    // Home no longer lists it.
    expect(await (await w.request('/', { cookie })).text()).not.toContain(`/pendencias/${request.id}"`)

    const again = await w.request(`/pendencias/${request.id}/nada-a-enviar`, { cookie, form: { observacao: '' } })
    expect(again.status).toBe(409)
    expect((await w.db.selectFrom('access_log').select('id').where('kind', '=', 'request.nothing_to_send').execute())).toHaveLength(1)
  })

  it('offers the answers each status still takes, and shows a reopened request’s reason', async () => {
    const { cookie, ask } = await world()
    const request = await ask('Extrato bancário', 3)
    await closeRequest(w.db, ACCOUNTANT, request.id)
    const accepted = await (await w.request(`/pendencias/${request.id}`, { cookie })).text()
    expect(visible(accepted)).toContain('Recebido pelo escritório')
    expect(visible(accepted)).toContain('Este pedido não espera mais resposta.')
    expect(accepted).not.toContain('<form method="post" enctype="multipart/form-data"')
    expect(accepted).not.toContain('/nada-a-enviar"')
    await reopenRequest(w.db, ACCOUNTANT, request.id, { reason: 'Falta a página 2', mail: null })
    const reopened = visible(await (await w.request(`/pendencias/${request.id}`, { cookie })).text())
    expect(reopened).toContain('O escritório pediu um novo envio. Motivo: Falta a página 2')
    expect(reopened).toContain('Nada a enviar neste mês')
    const nothing = await w.request(`/pendencias/${request.id}/nada-a-enviar`, { cookie, form: { observacao: '' } })
    expect(nothing.status).toBe(303)
    const answered = await (await w.request(`/pendencias/${request.id}`, { cookie })).text()
    // Files may still follow a "nada a enviar"; a second "nada a enviar" may not.
    expect(answered).toContain(`action="/pendencias/${request.id}/enviar"`)
    expect(answered).not.toContain(`action="/pendencias/${request.id}/nada-a-enviar"`)
  })

  it('refuses a note with a control character (400) and a form from another site (403), changing nothing', async () => {
    const { cookie, ask } = await world()
    const request = await ask('Extrato', 2)
    const bad = await w.request(`/pendencias/${request.id}/nada-a-enviar`, { cookie, form: { observacao: 'oi\u202etxt.exe' } })
    expect(bad.status).toBe(400)
    const cross = await w.request(`/pendencias/${request.id}/nada-a-enviar`, { cookie, form: { observacao: '' }, headers: { origin: 'https://evil.example' } })
    expect(cross.status).toBe(403)
    expect((await getRequest(w.db, request.id)).status).toBe('open')
  })
})

describe('who may see and answer a request in the portal', () => {
  it('answers 404 for requests the viewer may not see, exactly as for one that does not exist', async () => {
    const head = await w.client('Holding Ltda')
    const filial = await w.client('Filial Ltda')
    const other = await w.client('Outra SA')
    await w.group(head, [filial])
    const ana = await w.user(head, 'ana', { role: 'admin' })
    const caio = await w.user(head, 'caio')
    const edu = await w.user(filial, 'edu', { role: 'admin' })
    const outro = await w.user(other, 'outro', { role: 'admin' })
    await w.hide(caio, { categories: ['pessoal'] })
    const folha = await addRequest(w.db, ACCOUNTANT, { clientId: filial.id, title: 'Folha da filial', category: 'pessoal', dueDate: addDays(today, 3) })
    const holding = await addRequest(w.db, ACCOUNTANT, { clientId: head.id, title: 'Extrato da holding', dueDate: addDays(today, 3) })
    // The group head's admin answers for the filial.
    expect((await w.request(`/pendencias/${folha.id}`, { cookie: await w.cookieFor(ana) })).status).toBe(200)
    const missing = await w.request('/pendencias/987654', { cookie: await w.cookieFor(ana) })
    expect(missing.status).toBe(404)
    const main = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0]
    const notFound = main(await missing.text())
    expect(notFound).toContain('Página não encontrada')
    const refusals: [string, typeof ana, number][] = [
      ['collaborator without the category', caio, folha.id],
      ['user of another client', outro, holding.id],
      ['user of a group member, for the head', edu, holding.id],
    ]
    for (const [who, user, id] of refusals) {
      const cookie = await w.cookieFor(user)
      const page = await w.request(`/pendencias/${id}`, { cookie })
      expect(page.status, who).toBe(404)
      expect(main(await page.text()), who).toBe(notFound)
      const post = await w.request(`/pendencias/${id}/nada-a-enviar`, { cookie, form: { observacao: '' } })
      expect(post.status, who).toBe(404)
      expect(await (await w.request('/', { cookie })).text(), who).not.toContain(`/pendencias/${id}"`)
    }
    for (const bad of ['abc', '0x10', '99999999999']) {
      expect((await w.request(`/pendencias/${bad}`, { cookie: await w.cookieFor(ana) })).status).toBe(404)
    }
    expect((await getRequest(w.db, folha.id)).status).toBe('open')
    expect((await getRequest(w.db, holding.id)).status).toBe('open')
  })

  it('keeps out pending and disabled users, link-only visitors and strangers, telling them nothing', async () => {
    const { client, ask } = await world()
    const request = await ask('Contrato social atualizado', 3)
    const pending = await w.user(client, 'bia', { status: 'pending' })
    const disabled = await w.user(client, 'caio', { status: 'disabled' })
    const linkOnly = await w.user(client, 'dora', { role: 'admin' })
    const visitors: [string, string | undefined, number][] = [
      ['pending user', await w.cookieFor(pending, 'delivery'), 403],
      ['disabled user', await w.cookieFor(disabled), 303],
      ['link-only visitor', await w.cookieFor(linkOnly, 'delivery'), 303],
      ['stranger', undefined, 303],
    ]
    for (const [who, cookie, status] of visitors) {
      const page = await w.request(`/pendencias/${request.id}`, { cookie })
      expect(page.status, who).toBe(status)
      expect(await page.text(), who).not.toContain('Contrato social atualizado')
      const post = await w.request(`/pendencias/${request.id}/nada-a-enviar`, { cookie, form: { observacao: '' } })
      expect(post.status, who).toBe(status)
    }
    expect((await getRequest(w.db, request.id)).status).toBe('open')
    expect((await w.db.selectFrom('access_log').select('id').where('kind', '=', 'request.nothing_to_send').execute())).toEqual([])
  })
})

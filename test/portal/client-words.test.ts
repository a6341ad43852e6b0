// Issue 22, "What a client sees, second pass": the words, links and pages a firm's client meets,
// through the portal in-process (the Chromium side is in test/e2e/touch-targets.test.ts).
import { inflateSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { accountant } from '../../src/core/actors.js'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { revokeDelivery, resolveDelivery } from '../../src/core/delivery/deliveries.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { setClock } from '../../src/core/time.js'
import { makeDocument, writeTestFile } from '../helpers/factories.js'
import { createPortalWorld, PASSWORD, visible, type PortalWorld } from '../helpers/portal.js'
import { unzip } from '../helpers/zip.js'

let w: PortalWorld
let restoreClock = () => {}
beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => {
  restoreClock()
  await w.close()
})

const ACCOUNTANT = accountant('cli:test')
const text = async (response: Response | Promise<Response>) => (await response).text()

describe('pending and dead-end pages', () => {
  it('sends a pending user to the menu that exists ("Usuários"), with the admins named without a gender', async () => {
    const client = await w.client('Padaria')
    await w.user(client, 'ana', { role: 'admin' })
    await w.user(client, 'bia', { status: 'pending' })
    const page = visible(await text(w.request('/login', { form: { username: 'bia', password: PASSWORD } })))
    expect(page).toContain('precisa ativá-la no menu Usuários')
    expect(page).not.toContain('Cadastros')
    expect(page).toContain('Nome ana, que administra a Área do Cliente da sua empresa')
    expect(page).not.toMatch(/administrador/i)
  })

  it("shows the firm's phone, WhatsApp and e-mail as links on the pending page and the 410 page", async () => {
    await setFirmOptions(w.db, ACCOUNTANT, { phone: '(11) 98765-4321', contactEmail: 'atendimento@escritorio.com.br' })
    const { client, token } = await w.link('off')
    const resolved = await resolveDelivery(w.db, token)
    if (resolved.status !== 'ok') throw new Error('expected ok')
    await revokeDelivery(w.db, ACCOUNTANT, resolved.delivery.id)
    const gone = await w.request(`/d/${token}`)
    expect(gone.status).toBe(410)
    const html = await gone.text()
    expect(html).toContain('<a href="tel:+5511987654321">Ligar: +55 11 98765-4321</a>')
    expect(html).toContain('href="https://wa.me/5511987654321"')
    expect(html).toContain('<a href="mailto:atendimento@escritorio.com.br">')

    await w.user(client, 'dora', { role: 'admin' })
    const pending = await w.user(client, 'caio', { status: 'pending' })
    const waiting = await text(w.request('/login', { form: { username: pending.username, password: PASSWORD } }))
    expect(waiting).toContain('href="tel:+5511987654321"')
    expect(waiting).toContain('href="mailto:atendimento@escritorio.com.br"')

    // A landline gets a tel: link and no WhatsApp.
    await setFirmOptions(w.db, ACCOUNTANT, { phone: '(11) 3333-4444' })
    const landline = await text(w.request(`/d/${token}`))
    expect(landline).toContain('href="tel:+551133334444"')
    expect(landline).not.toContain('wa.me')
  })

  it('shows no contact block when the firm set neither phone nor e-mail', async () => {
    const { token } = await w.link('off')
    const resolved = await resolveDelivery(w.db, token)
    if (resolved.status !== 'ok') throw new Error('expected ok')
    await revokeDelivery(w.db, ACCOUNTANT, resolved.delivery.id)
    const html = await text(w.request(`/d/${token}`))
    expect(html).not.toContain('tel:')
    expect(html).not.toContain('Fale com o escritório')
  })
})

describe('words', () => {
  it('says "você administra" to the first user and uses gender-free roles and arrivals on /users', async () => {
    const client = await w.client('Padaria')
    const first = await w.request(w.loginPath(client) + '/register', {
      form: { name: 'Ana Souza', username: 'ana', email: '', password: PASSWORD, password_confirm: PASSWORD },
    })
    const cookie = first.headers.get('set-cookie')!.split(';')[0]
    expect(visible(await text(w.request(first.headers.get('location')!, { cookie })))).toContain(
      'Você administra a Área do Cliente desta empresa',
    )
    await w.user(client, 'carla')
    const users = visible(await text(w.request('/users', { cookie })))
    expect(users).toContain('Como entrou')
    expect(users).not.toContain('Chegada')
    expect(users).toContain('Administração')
    expect(users).toContain('Colaboração')
    expect(users).toContain('cadastro feito pelo escritório')
    // ("A pessoa cadastrada" is about "pessoa", which has no gender to assume.)
    expect(users.match(/\S*(administrador|colaborador|cadastrado)\S*/gi)).toBeNull()
  })

  it('counts the characters to delete of a too-long password for the user, never mentioning accents or bytes', async () => {
    const client = await w.client('Padaria')
    const page = visible(await text(w.request(w.loginPath(client))))
    expect(page).toContain('De 8 a 72 caracteres.')
    expect(page).not.toContain('contam como 2')
    // 70 ASCII + 2 "é" = 74 bytes: deleting the last 1 character ("é", 2 bytes) is enough.
    const long = 'a'.repeat(70) + 'éé'
    const refused = visible(
      await text(w.request(w.loginPath(client) + '/register', { form: { name: 'Ana', username: 'ana', email: '', password: long, password_confirm: long } })),
    )
    expect(refused).toContain('A senha é longa demais: apague 1 caractere e tente de novo.')
    const longer = 'a'.repeat(80)
    const refused8 = visible(
      await text(w.request(w.loginPath(client) + '/register', { form: { name: 'Ana', username: 'ana', email: '', password: longer, password_confirm: longer } })),
    )
    expect(refused8).toContain('apague 8 caracteres')
    expect(refused8).not.toMatch(/bytes|acentuadas/)
  })
})

describe('documents list: due order, pager, filters, competência', () => {
  it('puts upcoming guides first and the past after, with a pager that does not say "mais antigos"', async () => {
    restoreClock = setClock(() => new Date('2026-04-10T15:00:00Z'))
    const client = await w.client('Padaria')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    for (const [title, dueDate] of [['Março passado', '2026-03-20'], ['Abril', '2026-04-20'], ['Maio', '2026-05-20'], ['Fevereiro', '2026-02-20']]) {
      await makeDocument(w.t, client.id, { title, dueDate })
    }
    for (let i = 0; i < 25; i++) await makeDocument(w.t, client.id, { title: `Sem data ${i}` })
    const cookie = await w.cookieFor(ana)
    const html = await text(w.request('/?sort=due', cookie ? { cookie } : {}))
    const listed = [...html.matchAll(/<td><a href="\/documents\/\d+">([^<]+)<\/a>/g)].map((x) => x[1])
    expect(listed.slice(0, 4)).toEqual(['Abril', 'Maio', 'Março passado', 'Fevereiro'])
    expect(html).toContain('Próximos da lista →')
    expect(html).not.toContain('mais antigos')
    const next = /href="(\/\?sort=due&amp;after=[^"]+)"/.exec(html)![1].replace(/&amp;/g, '&')
    const second = await text(w.request(next, { cookie }))
    expect(second).toContain('← Início da lista')
    expect(await text(w.request('/', { cookie }))).toContain('Documentos mais antigos →')
  })

  it('puts the filters in a closed <details> "Filtrar" after "A vencer" and before the list, open when one was refused', async () => {
    const client = await w.client('Padaria')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await w.doc(client, 'Balancete')
    const cookie = await w.cookieFor(ana)
    const html = await text(w.request('/', { cookie }))
    expect(html).toMatch(/<details class="card filter-box"><summary>Filtrar<\/summary><form method="get" action="\/"/)
    const refused = await text(w.request('/?competence=13/2026', { cookie }))
    expect(refused).toContain('<details class="card filter-box" open="">')
  })

  it('offers the competência as a plain MM/AAAA text field with a pattern, showing a chosen month as MM/AAAA', async () => {
    const client = await w.client('Padaria')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const html = await text(w.request('/?competence=2026-03', { cookie }))
    expect(html).toMatch(
      /<input id="f-competence" name="competence" type="text" value="03\/2026" maxlength="7" placeholder="MM\/AAAA" pattern="\(0\[1-9\]\|1\[0-2\]\)\/\[0-9\]\{4\}" inputmode="numeric"/,
    )
    expect(html).not.toContain('type="month"')
  })
})

describe('users page', () => {
  it('offers no "Desativar" for a pending user, asks to confirm on a page of its own, and shows 2FA on or off for everyone', async () => {
    const client = await w.client('Padaria')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const bia = await w.user(client, 'bia')
    const caio = await w.user(client, 'caio', { status: 'pending' })
    const cookie = await w.cookieFor(ana)
    const html = await text(w.request('/users', { cookie }))
    expect(html).not.toContain(`/users/${caio.id}/disable`)
    expect(html).toContain(`<a class="button secondary" href="/users/${bia.id}/disable">Desativar</a>`)
    expect(html).not.toMatch(/<form method="post" action="\/users\/\d+\/disable"/)
    expect(html.split('Verificação em duas etapas desativada').length - 1).toBe(3)

    const confirm = await w.request(`/users/${bia.id}/disable`, { cookie })
    expect(confirm.status).toBe(200)
    const page = await confirm.text()
    expect(visible(page)).toContain('Desativar o acesso de Nome bia?')
    expect(page).toContain(`<form method="post" action="/users/${bia.id}/disable"><button type="submit">Sim, desativar</button>`)
    expect(page).toContain('<a class="button secondary" href="/users">Cancelar</a>')
    // Nothing changed by looking at the question.
    expect(html).toContain('Ativo')
    const done = await w.request(`/users/${bia.id}/disable`, { cookie, form: {} })
    expect(done.headers.get('location')).toBe('/users?feito=disabled')
    expect(await text(w.request('/users?feito=disabled', { cookie }))).toContain('Acesso desativado.')
  })
})

describe('small gaps', () => {
  it('offers "Baixar todos (ZIP)" on a /d/ link with several files, logging one download per file on the link', async () => {
    const client = await w.client('Padaria', { requireLogin: 'off' })
    const files = ['folha.pdf', 'recibos.pdf'].map((name, i) => ({ path: writeTestFile(w.t.dir, `z-${i}`, `%PDF-1.4 ${name}`), name }))
    const doc = await makeDocument(w.t, client.id, { title: 'Folha', files })
    const token = await w.deliver(doc)
    const page = await text(w.request(`/d/${token}`))
    expect(page).toContain(`<a class="button" href="/d/${token}/zip">Baixar todos (ZIP)</a>`)
    const zip = await w.request(`/d/${token}/zip`)
    expect(zip.status).toBe(200)
    expect([...(await unzip(Buffer.from(await zip.arrayBuffer()))).keys()]).toEqual(['folha.pdf', 'recibos.pdf'])
    const rows = await w.accessRows()
    expect(rows.map((r) => [r.action, r.channel, r.delivery_id !== null])).toEqual([
      ['view', 'email', true],
      ['download', 'email', true],
      ['download', 'email', true],
    ])
    const single = await w.deliver(await w.doc(client, 'DAS'))
    expect(await text(w.request(`/d/${single}`))).not.toContain('Baixar todos (ZIP)')
  })

  it('lists the first view of a document in its own accesses', async () => {
    const client = await w.client('Padaria')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const doc = await w.doc(client, 'DAS')
    const html = visible(await text(w.request(`/documents/${doc.id}`, { cookie: await w.cookieFor(ana) })))
    expect(html).not.toContain('Nenhum acesso registrado ainda.')
    expect(html).toContain('Nome ana (ana) Abriu')
  })

  it('offers an otpauth:// link on the two-factor set-up, for a phone that cannot scan its own screen', async () => {
    const client = await w.client('Padaria')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const html = await text(w.request('/account/2fa', { cookie: await w.cookieFor(ana) }))
    expect(html).toMatch(/<a class="button secondary" href="otpauth:\/\/totp\/[^"]+secret=[A-Z2-7]+[^"]*">Está no celular\? Abrir no aplicativo autenticador<\/a>/)
  })
})

/** The text a PDF shows: its content streams inflated, the hex strings of its Tj operators decoded. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1')
  let out = ''
  for (const match of raw.matchAll(/\/FlateDecode[^>]*>>\s*stream\r?\n([\s\S]*?)endstream/g)) {
    let content: string
    try {
      content = inflateSync(Buffer.from(match[1], 'latin1')).toString('latin1')
    } catch {
      continue
    }
    for (const op of content.matchAll(/<([0-9A-Fa-f]*)> Tj/g)) out += Buffer.from(op[1], 'hex').toString('latin1') + '\n'
  }
  return out
}

describe('the comprovante for a small-business owner', () => {
  it('names each downloaded file, explains the record numbers, says how to check it, and keeps the technical block last', async () => {
    loadSigningKeys(w.t.config.signingKeyFile, { create: true })
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const doc = await w.doc(client, 'DAS Março 2026')
    const cookie = await w.cookieFor(ana)
    await w.request(`/documents/${doc.id}`, { cookie })
    await w.request(`/documents/${doc.id}/files/${doc.attachments[0].id}`, { cookie })
    const response = await w.request(`/documents/${doc.id}/comprovante`, { cookie })
    expect(response.status).toBe(200)
    const pdf = pdfText(Buffer.from(await response.arrayBuffer()))
    expect(pdf).toContain('Nome ana (ana) abriu o documento na Área do Cliente')
    expect(pdf).toContain('Nome ana (ana) baixou o arquivo DAS Março 2026.pdf na Área do Cliente')
    expect(pdf).toMatch(/registro nº \d+/)
    expect(pdf.replace(/\n/g, ' ')).toContain('por isso os números deste documento não são seguidos')
    expect(pdf).toContain('Como conferir este comprovante')
    const order = ['Resumo', 'O que foi enviado', 'Como foi enviado', 'Quando foi aberto', 'Como conferir este comprovante', 'Informações técnicas']
    const at = order.map((heading) => pdf.indexOf(heading))
    expect(at.every((i) => i >= 0)).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
    // Ed25519, RFC 9162, the root and the command only in the technical block, after everything else.
    for (const word of ['Ed25519', 'RFC 9162', 'Raiz', 'confi receipts verify']) {
      expect(pdf.indexOf(word)).toBeGreaterThan(at[5])
    }
    expect(pdf).not.toContain(' por Nome ana, IP')
  })
})

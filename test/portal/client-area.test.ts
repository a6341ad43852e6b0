// Issue 10 part 7 through the portal's HTTP interface: "A vencer", "Novo", search and sort, who
// opened a document, and ZIP downloads (docs/decisions.md, "Client area: due soon, new, accesses, ZIP").
import { ACCOUNTANT } from '../helpers/factories.js'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Client } from '../../src/core/clients/clients.js'
import { addDocument, type Document } from '../../src/core/documents/documents.js'
import { setClock } from '../../src/core/time.js'
import { createPortalWorld, PASSWORD, sessionCookie, type PortalWorld } from '../helpers/portal.js'
import { unzip } from '../helpers/zip.js'
import { accessRowsOf } from '../helpers/access-log.js'

let w: PortalWorld
let restoreClock: () => void = () => {}
let seq = 0

beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => {
  restoreClock()
  await w.close()
})

/** Moves the clock to an instant (UTC). */
function at(iso: string): void {
  restoreClock()
  restoreClock = setClock(() => new Date(iso))
}

async function doc(
  client: Client,
  title: string,
  extra: { dueDate?: string; category?: string; files?: { name: string; content: string | Buffer }[] } = {},
): Promise<Document> {
  const files = (extra.files ?? [{ name: `${title.replace(/\//g, '-')}.pdf`, content: `%PDF-1.4 ${title}` }]).map((file) => {
    seq += 1
    const path = join(w.t.dir, `upload-${seq}`)
    writeFileSync(path, file.content)
    return { path, name: file.name }
  })
  return addDocument(w.db, w.store, ACCOUNTANT, {
    clientId: client.id,
    title,
    category: extra.category ?? 'fiscal',
    dueDate: extra.dueDate,
    files,
  })
}

async function html(path: string, cookie: string): Promise<string> {
  const response = await w.request(path, { cookie })
  expect(response.status, path).toBe(200)
  return response.text()
}

/** The text of the "A vencer" section, tags removed, spaces collapsed. */
function dueSection(page: string): string {
  const match = /<section class="card due"[\s\S]*?<\/section>/.exec(page)
  return (match?.[0] ?? '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
}

describe('"A vencer" on the documents page', () => {
  it('lists what is due within 7 days or overdue and not downloaded, with days left, overdue in words and red', async () => {
    at('2026-12-01T15:00:00Z') // 12:00 in São Paulo
    const padaria = await w.client('Padaria Pão Quente')
    const other = await w.client('Outra Empresa')
    const ana = await w.user(padaria, 'ana', { role: 'admin' })
    const bia = await w.user(padaria, 'bia')
    await doc(padaria, 'DAS 11/2026', { dueDate: '2026-12-03' })
    await doc(padaria, 'FGTS 10/2026', { dueDate: '2026-11-29' })
    await doc(padaria, 'Guia de hoje', { dueDate: '2026-12-01' })
    await doc(padaria, 'Pró-labore', { dueDate: '2026-12-05', category: 'pessoal' })
    await doc(padaria, 'DARF distante', { dueDate: '2026-12-20' })
    await doc(padaria, 'Guia esquecida', { dueDate: '2026-09-01' })
    await doc(padaria, 'Sem vencimento')
    const fetched = await doc(padaria, 'ISS já baixado', { dueDate: '2026-12-02' })
    await doc(other, 'Guia de outra empresa', { dueDate: '2026-12-02' })
    // Bia downloads one: for the company it is done, whoever did it.
    const biaCookie = await w.cookieFor(bia)
    expect((await w.request(`/documents/${fetched.id}/files/${fetched.attachments[0].id}`, { cookie: biaCookie })).status).toBe(200)

    const page = await html('/', await w.cookieFor(ana))
    const panel = dueSection(page)
    expect(panel).toContain('A vencer')
    expect(panel).toMatch(/FGTS 10\/2026 Vencido há 2 dias \(29\/11\/2026\)/)
    expect(panel).toMatch(/Guia de hoje Vence hoje/)
    expect(panel).toMatch(/DAS 11\/2026 Vence em 2 dias \(03\/12\/2026\)/)
    expect(panel).toMatch(/Pró-labore Vence em 4 dias/)
    for (const absent of ['DARF distante', 'Guia esquecida', 'Sem vencimento', 'ISS já baixado', 'outra empresa']) {
      expect(panel).not.toContain(absent)
    }
    // Most urgent first; overdue marked by a class (red) as well as by the words.
    expect(panel.indexOf('FGTS')).toBeLessThan(panel.indexOf('Guia de hoje'))
    expect(page).toMatch(/<li class="overdue"><a href="\/documents\/\d+">FGTS 10\/2026<\/a>/)

    // A collaborator who may not see "pessoal" does not see it due either.
    await w.hide(bia, { categories: ['pessoal'] })
    expect(dueSection(await html('/', biaCookie))).not.toContain('Pró-labore')
  })

  it('counts days in São Paulo, not UTC, and shows the group companies to a group head', async () => {
    // 01:30 UTC on the 2nd is still 22:30 on the 1st in São Paulo.
    at('2026-12-02T01:30:00Z')
    const head = await w.client('Matriz')
    const member = await w.client('Filial')
    await w.group(head, [member])
    const ana = await w.user(head, 'ana', { role: 'admin' })
    await doc(member, 'DAS da filial', { dueDate: '2026-12-01' })
    const panel = dueSection(await html('/', await w.cookieFor(ana)))
    expect(panel).toContain('DAS da filial · Filial')
    expect(panel).toContain('Vence hoje')
  })

  it('says when nothing is due', async () => {
    at('2026-12-01T15:00:00Z')
    const client = await w.client('Empresa Tranquila')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await doc(client, 'Balancete')
    const cookie = await w.cookieFor(ana)
    expect(dueSection(await html('/', cookie))).toContain('Nada a vencer nos próximos 7 dias')
    const first = await html('/?sort=due', cookie)
    expect(first).toContain('A vencer')
  })
})

describe('"Novo" and what arrived since the last visit', () => {
  it('marks documents this user has not opened, and counts the new ones since the previous login', async () => {
    const client = await w.client('Loja Nova')
    await w.user(client, 'ana', { role: 'admin' })
    const bia = await w.user(client, 'bia')
    at('2026-11-01T12:00:00Z')
    const old = await doc(client, 'Documento antigo')
    const login = async () => sessionCookie(await w.request('/login', { form: { username: 'ana', password: PASSWORD } }))!
    // First login ever: nothing to compare with, so no count (the marks still show).
    const first = await html('/', await login())
    expect(first).not.toContain('desde sua última visita')
    expect(first).toMatch(/Documento antigo<\/a> <span class="badge"/)

    at('2026-11-10T12:00:00Z')
    const a = await doc(client, 'Chegou depois 1')
    await doc(client, 'Chegou depois 2')
    const b = await doc(client, 'Chegou depois 3')
    // Someone else opening a document does not make it old for Ana.
    await w.request(`/documents/${a.id}`, { cookie: await w.cookieFor(bia) })

    at('2026-11-20T12:00:00Z')
    const cookie = await login()
    const page = await html('/', cookie)
    expect(page).toContain('3 documentos novos desde sua última visita.')
    await html(`/documents/${b.id}`, cookie)
    await html(`/documents/${old.id}`, cookie)
    const after = await html('/', cookie)
    expect(after).toContain('2 documentos novos desde sua última visita.')
    expect(after).toMatch(/Documento antigo<\/a><\/td>/)
    expect(after).toMatch(/Chegou depois 3<\/a><\/td>/)
    expect(after).toMatch(/Chegou depois 1<\/a> <span class="badge"/)
  })
})

describe('search and sort', () => {
  it('finds by title ignoring case and accents, combined with the filters and inside the scope', async () => {
    const client = await w.client('Empresa Busca')
    const other = await w.client('Empresa Alheia')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await doc(client, 'Férias de março', { category: 'pessoal' })
    await doc(client, 'AVISO DE FERIAS', { category: 'pessoal' })
    await doc(client, 'Recibo de férias', { category: 'fiscal' })
    await doc(client, 'Folha 100%_final', { category: 'pessoal' })
    await doc(other, 'Férias alheias', { category: 'pessoal' })
    const cookie = await w.cookieFor(ana)
    const titles = (page: string) => [...page.matchAll(/<a href="\/documents\/\d+">([^<]+)<\/a>/g)].map((x) => x[1]).sort()

    expect(titles(await html('/?q=ferias', cookie))).toEqual(['AVISO DE FERIAS', 'Férias de março', 'Recibo de férias'])
    expect(titles(await html('/?q=F%C3%89RIAS&category=pessoal', cookie))).toEqual(['AVISO DE FERIAS', 'Férias de março'])
    expect(titles(await html('/?q=mar%C3%A7o+f%C3%A9rias', cookie))).toEqual(['Férias de março'])
    // LIKE wildcards are plain characters in a search.
    expect(titles(await html('/?q=100%25_', cookie))).toEqual(['Folha 100%_final'])
    expect(titles(await html('/?q=_', cookie))).toEqual(['Folha 100%_final'])
    // The search and the sort are kept by the form.
    const page = await html('/?q=ferias&sort=due', cookie)
    expect(page).toContain('value="ferias"')
    expect(page).toMatch(/<option value="due" selected="">/)

    const long = await w.request(`/?q=${'a'.repeat(101)}`, { cookie })
    expect(long.status).toBe(400)
    expect(await long.text()).toContain('A busca aceita no máximo 100 caracteres.')
  })

  it('sorts by due date, undated last, with pages that keep the sort', async () => {
    at('2026-11-20T15:00:00Z')
    const client = await w.client('Empresa Ordem')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await doc(client, 'Sem data')
    for (let day = 28; day >= 1; day--) await doc(client, `Guia ${day}`, { dueDate: `2026-12-${String(day).padStart(2, '0')}` })
    const cookie = await w.cookieFor(ana)
    const first = await html('/?sort=due', cookie)
    const listed = (page: string) => [...page.matchAll(/<td><a href="\/documents\/\d+">([^<]+)<\/a>/g)].map((x) => x[1])
    expect(listed(first).slice(0, 3)).toEqual(['Guia 1', 'Guia 2', 'Guia 3'])
    expect(listed(first)).toHaveLength(25)
    const next = /href="(\/\?sort=due&amp;after=[^"]+)"/.exec(first)![1].replace(/&amp;/g, '&')
    const second = await html(next, cookie)
    expect(listed(second)).toEqual(['Guia 26', 'Guia 27', 'Guia 28', 'Sem data'])
    // A cursor of the other order is refused, not misread.
    const newest = await w.request(next.replace('sort=due&', ''), { cookie })
    expect(newest.status).toBe(400)
  })
})

describe("who opened a document", () => {
  it('shows an admin everyone in the company, with channel and São Paulo time; a collaborator only themselves', async () => {
    const client = await w.client('Empresa Acessos')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const bia = await w.user(client, 'bia')
    const caio = await w.user(client, 'caio')
    const document = await doc(client, 'DAS 11/2026')
    at('2026-12-01T15:04:00Z')
    const biaCookie = await w.cookieFor(bia)
    await html(`/documents/${document.id}`, biaCookie)
    await w.request(`/documents/${document.id}/files/${document.attachments[0].id}`, { cookie: biaCookie })
    at('2026-12-01T16:30:00Z')
    await html(`/documents/${document.id}`, await w.cookieFor(caio))
    const token = await w.deliver(document)
    expect((await w.request(`/d/${token}`)).status).toBe(200)

    at('2026-12-02T10:00:00Z')
    const admin = await html(`/documents/${document.id}`, await w.cookieFor(ana))
    const text = admin.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
    expect(text).toContain('Quem acessou')
    expect(text).toContain('Nome bia (bia) Baixou DAS 11-2026.pdf 01/12/2026, 12:04 Área do Cliente')
    expect(text).toContain('Nome bia (bia) Abriu 01/12/2026, 12:04 Área do Cliente')
    expect(text).toContain('Nome caio (caio) Abriu 01/12/2026, 13:30 Área do Cliente')
    expect(text).toContain('Sem login (link) Abriu 01/12/2026, 13:30 Link por e-mail')
    // No addresses or browsers on the page.
    expect(admin).not.toContain('127.0.0.1')

    const own = await html(`/documents/${document.id}`, await w.cookieFor(caio))
    const ownText = own.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
    expect(ownText).toContain('Seus acessos')
    expect(ownText).toContain('Abriu 01/12/2026, 13:30 Área do Cliente')
    expect(ownText).not.toContain('bia')
    expect(ownText).not.toContain('Sem login')
  })
})

describe('ZIP downloads', () => {
  it('zips a document with several files, every file logged before the first byte', async () => {
    const client = await w.client('Empresa Zip')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const big = Buffer.alloc(300_000, 9)
    const document = await doc(client, 'Folha 11/2026', {
      files: [
        { name: 'holerites.pdf', content: '%PDF holerites' },
        { name: 'Holerites.pdf', content: '%PDF outra' },
        { name: 'resumo.pdf', content: big },
      ],
    })
    const cookie = await w.cookieFor(ana)
    expect(await html(`/documents/${document.id}`, cookie)).toContain(`href="/documents/${document.id}/zip"`)
    const before = (await w.accessRows()).length

    const response = await w.request(`/documents/${document.id}/zip`, { cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/zip')
    expect(response.headers.get('content-disposition')).toContain('filename="Folha 11_2026.zip"')
    // Read straight from the database before the body: every row is already committed.
    const rows = await accessRowsOf(w.db)
    const zipRows = rows.slice(before)
    expect(zipRows.map((r) => [r.action, r.channel, Number(r.attachment_id), Number(r.user_id)])).toEqual(
      document.attachments.map((a) => ['download', 'portal', a.id, ana.id]),
    )
    const bytes = Buffer.from(await response.arrayBuffer())
    expect(response.headers.get('content-length')).toBe(String(bytes.length))
    const files = await unzip(bytes)
    expect([...files.keys()]).toEqual(['holerites.pdf', 'Holerites (2).pdf', 'resumo.pdf'])
    expect(files.get('resumo.pdf')!.equals(big)).toBe(true)
    expect(files.get('Holerites (2).pdf')!.toString()).toBe('%PDF outra')
  })

  it('offers no ZIP button for a single file, and treats another company\'s document as missing', async () => {
    const client = await w.client('Empresa Um')
    const other = await w.client('Empresa Dois')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const single = await doc(client, 'Arquivo único')
    const foreign = await doc(other, 'Alheio', { files: [{ name: 'a.pdf', content: 'a' }, { name: 'b.pdf', content: 'b' }] })
    const cookie = await w.cookieFor(ana)
    expect(await html(`/documents/${single.id}`, cookie)).not.toContain('Baixar todos (ZIP)')
    expect((await w.request(`/documents/${foreign.id}/zip`, { cookie })).status).toBe(404)
    expect((await w.request(`/documents/${foreign.id}/zip`)).status).toBe(303)
    expect((await w.request(`/documents/${single.id}/zip`, { cookie, method: 'HEAD' })).status).toBe(405)
    // Only the view of the page above.
    expect((await w.accessRows()).map((r) => r.action)).toEqual(['view'])
  })

  it('zips the filtered list inside what the user may see, one folder per document', async () => {
    const head = await w.client('Matriz Zip')
    const member = await w.client('Filial Zip')
    await w.group(head, [member])
    await w.user(head, 'ana', { role: 'admin' })
    const bia = await w.user(head, 'bia')
    await w.hide(bia, { categories: ['pessoal'] })
    await doc(head, 'DAS 11/2026', { files: [{ name: 'das.pdf', content: 'das matriz' }] })
    await doc(member, 'DAS 11/2026', { files: [{ name: 'das.pdf', content: 'das filial' }] })
    await doc(head, 'Folha', { category: 'pessoal' })
    await doc(head, 'Balancete', { category: 'contabil' })
    const cookie = await w.cookieFor(bia)
    const listPage = await html('/?q=das', cookie)
    expect(listPage).toContain('href="/documents/zip?q=das"')

    const response = await w.request('/documents/zip?q=das', { cookie })
    expect(response.status).toBe(200)
    const files = await unzip(Buffer.from(await response.arrayBuffer()))
    expect(Object.fromEntries([...files].map(([name, content]) => [name, content.toString()]))).toEqual({
      'Filial Zip/DAS 11_2026/das.pdf': 'das filial',
      'Matriz Zip/DAS 11_2026/das.pdf': 'das matriz',
    })
    // Hidden category: nothing of it, even when asked for by name.
    const hidden = await w.request('/documents/zip?category=pessoal', { cookie })
    expect((await hidden.text())).toContain('Nenhum documento nesta lista tem arquivos para baixar.')
    expect((await w.accessRows()).map((r) => r.action)).toEqual(['download', 'download'])
  })

  it('refuses past 200 files or 200 MB with a clear message, logging nothing', async () => {
    const client = await w.client('Empresa Grande')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const sample = await doc(client, 'Modelo')
    const cookie = await w.cookieFor(ana)
    // Rows only: the bound is decided before any file is read.
    const insert = async (title: string, size: number) => {
      const row = await w.db
        .insertInto('documents')
        .values({ client_id: client.id, title, category: 'outros', competence: null, due_date: null, created_at: new Date().toISOString(), created_by: 'cli:test' })
        .returning('id')
        .executeTakeFirstOrThrow()
      const a = sample.attachments[0]
      await w.db
        .insertInto('attachments')
        .values({ document_id: Number(row.id), file_name: 'x.pdf', media_type: a.mediaType, size, sha256: a.sha256, storage_key: a.storageKey })
        .execute()
    }
    await insert('Enorme 1', 150 * 1024 * 1024)
    await insert('Enorme 2', 60 * 1024 * 1024)
    const large = await w.request('/documents/zip?q=enorme', { cookie })
    expect(large.status).toBe(422)
    expect(await large.text()).toContain('Os arquivos desta lista somam 210,0 MB, e o ZIP aceita no máximo 200 MB de uma vez.')

    for (let i = 0; i < 200; i++) await insert(`Pequeno ${i}`, 10)
    const many = await w.request('/documents/zip', { cookie })
    expect(many.status).toBe(422)
    const text = await many.text()
    expect(text).toContain('Esta lista tem mais de 200 arquivos, e o ZIP aceita no máximo 200 de uma vez.')
    expect(text).toContain('href="/"')
    expect(await w.accessRows()).toHaveLength(0)
  })

  it('ends the download, without crashing the server, when a file vanishes while it streams', async () => {
    const client = await w.client('Empresa Instável')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const document = await doc(client, 'Grandes', {
      files: [
        { name: 'a.pdf', content: Buffer.alloc(2 << 20, 1) },
        { name: 'b.pdf', content: Buffer.alloc(2 << 20, 2) },
      ],
    })
    const response = await w.request(`/documents/${document.id}/zip`, { cookie: await w.cookieFor(ana) })
    expect(response.status).toBe(200)
    rmSync(join(w.t.config.dataDir, 'files', document.attachments[1].storageKey))
    await expect(response.arrayBuffer()).rejects.toThrow()
    // The server goes on serving.
    expect((await w.request(`/documents/${document.id}`, { cookie: await w.cookieFor(ana) })).status).toBe(200)
  })

  it('serves nothing and logs nothing when a stored file is missing', async () => {
    const client = await w.client('Empresa Falha')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const document = await doc(client, 'Dois arquivos', { files: [{ name: 'a.pdf', content: 'aaa' }, { name: 'b.pdf', content: 'bbb' }] })
    await w.db.updateTable('attachments').set({ storage_key: `${'ab'}/${'c'.repeat(62)}` }).where('id', '=', document.attachments[1].id).execute()
    const response = await w.request(`/documents/${document.id}/zip`, { cookie: await w.cookieFor(ana) })
    expect(response.status).toBe(503)
    expect(await w.accessRows()).toHaveLength(0)
  })
})

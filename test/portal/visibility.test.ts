import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientUser } from '../../src/core/identity/users.js'
import { createPortalWorld, type PortalWorld } from '../helpers/portal.js'

// Every (user, document) pair across clients, a group, roles, statuses and visibility: the
// portal shows exactly what the rules of docs/rules.md#company-groups and docs/rules.md#data allow, and answers 404 (never data)
// for the rest, on the dashboard, the document page and the file download.

type Doc = Awaited<ReturnType<PortalWorld['doc']>>

describe('who sees which document', () => {
  let w: PortalWorld
  const docs: Record<string, Doc> = {}
  const users: Record<string, { user: ClientUser; cookie: string; sees: string[] | 'none' | 'login' }> = {}

  beforeAll(async () => {
    w = await createPortalWorld()
    const matriz = await w.client('Matriz Comércio Ltda')
    const filial1 = await w.client('Filial Norte Ltda')
    const filial2 = await w.client('Filial Sul Ltda')
    const other = await w.client('Outra Empresa SA')
    const member = await w.client('Membro Solto Ltda')
    await w.group(matriz, [filial1, filial2])

    docs.mFiscal = await w.doc(matriz, 'DAS Matriz', 'fiscal')
    docs.mPessoal = await w.doc(matriz, 'Folha Matriz', 'pessoal')
    docs.f1Fiscal = await w.doc(filial1, 'DARF Filial Norte', 'fiscal')
    docs.f1Contabil = await w.doc(filial1, 'Balanço Filial Norte', 'contabil')
    docs.f2Societario = await w.doc(filial2, 'Contrato Filial Sul', 'societario')
    docs.oFiscal = await w.doc(other, 'FGTS Outra', 'fiscal')
    docs.sOutros = await w.doc(member, 'Aviso Membro Solto', 'outros')

    const all = ['mFiscal', 'mPessoal', 'f1Fiscal', 'f1Contabil', 'f2Societario']
    const add = async (
      key: string,
      client: typeof matriz,
      opts: Parameters<PortalWorld['user']>[2],
      sees: string[] | 'none' | 'login',
    ) => {
      const user = await w.user(client, key, opts)
      users[key] = { user, cookie: '', sees }
    }
    await add('m_admin', matriz, { role: 'admin' }, all)
    await add('m_admin2', matriz, { role: 'admin' }, all)
    await add('m_colab', matriz, {}, all)
    await add('m_nofiscal', matriz, {}, ['mPessoal', 'f1Contabil', 'f2Societario'])
    await add('m_nof2', matriz, {}, ['mFiscal', 'mPessoal', 'f1Fiscal', 'f1Contabil'])
    await add('m_onlyhead', matriz, {}, ['mPessoal'])
    await add('m_pending', matriz, { status: 'pending' }, 'none')
    await add('m_disabled', matriz, { status: 'disabled' }, 'login')
    await add('f1_admin', filial1, { role: 'admin' }, ['f1Fiscal', 'f1Contabil'])
    await add('f1_colab', filial1, {}, ['f1Fiscal', 'f1Contabil'])
    await add('f2_admin', filial2, { role: 'admin' }, ['f2Societario'])
    await add('o_admin', other, { role: 'admin' }, ['oFiscal'])
    await add('s_admin', member, { role: 'admin' }, ['sOutros'])
    await w.hide(users.m_nofiscal.user, { categories: ['fiscal'] })
    await w.hide(users.m_nof2.user, { companies: [filial2.id] })
    await w.hide(users.m_onlyhead.user, { companies: [filial1.id, filial2.id], categories: ['fiscal'] })
    for (const entry of Object.values(users)) {
      // A disabled user's old session, or a pending user's delivery-only one.
      entry.cookie = await w.cookieFor(entry.user, entry.user.status === 'pending' ? 'delivery' : 'area')
    }
  }, 60_000)

  afterAll(async () => {
    await w.close()
  })

  it('lists on the dashboard exactly the documents each user may see', async () => {
    for (const [name, entry] of Object.entries(users)) {
      const response = await w.request('/', { cookie: entry.cookie })
      const html = await response.text()
      if (entry.sees === 'login') {
        expect(response.status, name).toBe(303)
        expect(response.headers.get('location')).toMatch(/^\/login(\?aviso=sessao)?$/)
        continue
      }
      if (entry.sees === 'none') {
        expect(response.status, name).toBe(403)
        for (const doc of Object.values(docs)) expect(html, name).not.toContain(doc.title)
        continue
      }
      expect(response.status, name).toBe(200)
      for (const [key, doc] of Object.entries(docs)) {
        const visible = entry.sees.includes(key)
        expect(html.includes(doc.title), `${name} → ${key}`).toBe(visible)
      }
    }
  })

  it('opens a document page and its file only when allowed, 404 otherwise', async () => {
    const before = (await w.accessRows()).length
    let allowed = 0
    for (const [name, entry] of Object.entries(users)) {
      for (const [key, doc] of Object.entries(docs)) {
        const visible = Array.isArray(entry.sees) && entry.sees.includes(key)
        const page = await w.request(`/documents/${doc.id}`, { cookie: entry.cookie })
        const file = await w.request(`/documents/${doc.id}/files/${doc.attachments[0].id}`, { cookie: entry.cookie })
        const pageHtml = await page.text()
        const bytes = Buffer.from(await file.arrayBuffer())
        if (visible) {
          allowed += 1
          expect(page.status, `${name} → ${key}`).toBe(200)
          expect(pageHtml).toContain(doc.title)
          expect(file.status).toBe(200)
          expect(bytes.equals(doc.bytes)).toBe(true)
          continue
        }
        expect(pageHtml, `${name} → ${key}`).not.toContain(doc.title)
        expect(bytes.includes(doc.bytes)).toBe(false)
        if (entry.sees === 'login') {
          expect(page.status).toBe(303)
        } else if (entry.sees === 'none') {
          expect(page.status).toBe(403)
        } else {
          expect(page.status, `${name} → ${key}`).toBe(404)
          expect(file.status).toBe(404)
        }
      }
    }
    // One view and one download row per allowed pair, none for the refusals.
    expect((await w.accessRows()).length - before).toBe(allowed * 2)
  }, 60_000)

  it('answers another client’s document exactly like a nonexistent id', async () => {
    const cookie = users.o_admin.cookie
    const foreign = await w.request(`/documents/${docs.mFiscal.id}`, { cookie })
    const missing = await w.request('/documents/999999', { cookie })
    expect(foreign.status).toBe(404)
    expect(missing.status).toBe(404)
    expect(await foreign.text()).toBe(await missing.text())
    const foreignFile = await w.request(`/documents/${docs.mFiscal.id}/files/${docs.mFiscal.attachments[0].id}`, { cookie })
    const missingFile = await w.request(`/documents/${docs.oFiscal.id}/files/999999`, { cookie })
    expect(foreignFile.status).toBe(404)
    expect(missingFile.status).toBe(404)
    expect(await foreignFile.text()).toBe(await missingFile.text())
  })

  it('does not serve a file of one document through another document id', async () => {
    const cookie = users.m_admin.cookie
    const response = await w.request(`/documents/${docs.mFiscal.id}/files/${docs.f1Fiscal.attachments[0].id}`, { cookie })
    expect(response.status).toBe(404)
  })

  it('does not widen the scope with a company filter', async () => {
    const response = await w.request(`/?company=${docs.oFiscal.clientId}`, { cookie: users.m_admin.cookie })
    const html = await response.text()
    expect(response.status).toBe(200)
    expect(html).not.toContain(docs.oFiscal.title)
    expect(html).not.toContain(docs.mFiscal.title)
  })

  it('filters by company, category and competence', async () => {
    const cookie = users.m_admin.cookie
    const byCompany = await (await w.request(`/?company=${docs.f1Fiscal.clientId}`, { cookie })).text()
    expect(byCompany).toContain(docs.f1Fiscal.title)
    expect(byCompany).not.toContain(docs.mFiscal.title)
    const byCategory = await (await w.request('/?category=fiscal', { cookie })).text()
    expect(byCategory).toContain(docs.mFiscal.title)
    expect(byCategory).not.toContain(docs.mPessoal.title)
    const none = await (await w.request('/?competence=2020-01', { cookie })).text()
    expect(none).toContain('Nenhum documento com estes filtros')
    const bad = await w.request('/?competence=março', { cookie })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('MM/AAAA')
  })
})

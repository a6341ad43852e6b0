import { describe, expect, it } from 'vitest'
import { usePortalWorld } from '../helpers/portal.js'

// The document pages and the dashboard: HTTP methods and filters.

const w = usePortalWorld()

describe('HEAD on documents and links', () => {
  it('answers 405 with Allow: GET and writes no access-log row', async () => {
    const { client, doc, token, file } = await w.link('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const paths = [`/d/${token}`, file, `/documents/${doc.id}`, `/documents/${doc.id}/files/${doc.attachments[0].id}`]
    for (const path of paths) {
      const response = await w.request(path, { method: 'HEAD', cookie })
      expect(response.status, path).toBe(405)
      expect(response.headers.get('allow'), path).toBe('GET')
      expect(await response.text()).toBe('')
    }
    expect(await w.accessRows()).toHaveLength(0)
    // GET still serves and logs.
    expect((await w.request(file, { cookie })).status).toBe(200)
    expect(await w.accessRows()).toHaveLength(1)
  })

  it('keeps HEAD working on pages that log nothing', async () => {
    expect((await w.request('/login', { method: 'HEAD' })).status).toBe(200)
    expect((await w.request('/healthz', { method: 'HEAD' })).status).toBe(200)
  })
})

describe('dashboard competence filter', () => {
  it('uses core’s rule: a year before 1900 is a competence error, not a page error', async () => {
    const { client } = await w.link('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    for (const value of ['1899-03', '2026-13', '2026-3']) {
      const response = await w.request(`/?competence=${value}`, { cookie })
      expect(response.status, value).toBe(400)
      expect(await response.text(), value).toContain('A competência deve estar no formato MM/AAAA')
    }
    const ok = await w.request('/?competence=2026-03', { cookie })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('DAS Março 2026')
  })

  it('accepts a competência typed as MM/AAAA as well as AAAA-MM', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await w.doc(client, 'DAS Março', 'fiscal') // competence 2026-03
    const cookie = await w.cookieFor(ana)
    for (const value of ['03/2026', '3/2026', '2026-03']) {
      const response = await w.request(`/?competence=${encodeURIComponent(value)}`, { cookie })
      expect(response.status, value).toBe(200)
      expect(await response.text(), value).toContain('DAS Março')
    }
    const other = await w.request(`/?competence=${encodeURIComponent('04/2026')}`, { cookie })
    expect(await other.text()).not.toContain('DAS Março')
    expect((await w.request(`/?competence=${encodeURIComponent('13/2026')}`, { cookie })).status).toBe(400)
  })

  it('marks a refused competência next to its field, keeping what was typed', async () => {
    const { ana } = await w.clientWithAdmin()
    const response = await w.request(`/?competence=${encodeURIComponent('13/2026')}`, { cookie: await w.cookieFor(ana) })
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toMatch(/<input id="f-competence" name="competence" type="text" value="13\/2026"[^>]*aria-invalid="true" aria-describedby="f-competence-error f-competence-hint"/)
    expect(html).toContain('<p class="field-error" id="f-competence-error">A competência deve estar no formato')
    expect(html).toMatch(/role="alert".*href="#f-competence"/s)
  })
})

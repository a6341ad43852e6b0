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
})

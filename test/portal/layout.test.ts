import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CSS } from '../../src/portal/views/layout.js'
import { usePortalWorld } from '../helpers/portal.js'

// The page layout every portal page shares.

const w = usePortalWorld()

describe('narrow screens', () => {
  it('wraps long words and allows the served stylesheet by its hash', async () => {
    const { client } = await w.link('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const response = await w.request('/', { cookie: await w.cookieFor(ana) })
    const html = await response.text()
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1]
    expect(css).toBe(CSS)
    expect(css).toMatch(/h1,[^{]*\{overflow-wrap:anywhere\}/)
    // Table cells break only what would overflow, so columns keep words whole (docs/decisions.md, "Tables keep words whole").
    expect(css).toMatch(/td,[^{]*\{overflow-wrap:break-word\}/)
    const hash = `'sha256-${createHash('sha256').update(css!).digest('base64')}'`
    expect(response.headers.get('content-security-policy')).toContain(`style-src ${hash}`)
  })
})

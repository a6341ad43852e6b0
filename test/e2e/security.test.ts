import { describe, expect, it } from 'vitest'
import { initFirm } from '../../src/core/clients/firm.js'
import { useServedPortal } from '../helpers/browser.js'
import { PASSWORD } from '../helpers/portal.js'

// Issue 9 §3 in a real browser: with Referrer-Policy same-origin, our forms post a real Origin.

describe('forms in a real browser', () => {
  const s = useServedPortal(async (w) => {
    await initFirm(w.t.db, { firmName: 'Contabilidade Navegador' })
    const client = await w.client('Padaria Navegador Ltda')
    await w.user(client, 'ana', { role: 'admin' })
  })

  it('sends the real Origin (not null) with the login form, and the login works', async () => {
    const page = await (await s.browser.newContext()).newPage()
    const origins: (string | undefined)[] = []
    page.on('request', async (request) => {
      if (request.method() === 'POST') origins.push((await request.allHeaders()).origin)
    })
    await page.goto(`${s.baseUrl}/login`)
    await page.locator('#login-username').fill('ana')
    await page.locator('#login-password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Entrar' }).click()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/`)
    expect(origins).toEqual([new URL(s.baseUrl).origin])
  })
})

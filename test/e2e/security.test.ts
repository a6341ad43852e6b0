import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { initFirm } from '../../src/core/clients/firm.js'
import type { TestDatabase } from '../helpers/db.js'
import { launchChromium, startServe, stopServe } from '../helpers/serve.js'
import { createPortalWorld, PASSWORD } from '../helpers/portal.js'

// Issue 9 §3 in a real browser: with Referrer-Policy same-origin, our forms post a real Origin.

describe('forms in a real browser', () => {
  let t: TestDatabase
  let server: ChildProcess
  let baseUrl = ''
  let browser: Browser

  beforeAll(async () => {
    const w = await createPortalWorld()
    t = w.t
    await initFirm(t.db, { firmName: 'Contabilidade Navegador' })
    const client = await w.client('Padaria Navegador Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    ;({ server, baseUrl } = await startServe(t.env))
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await stopServe(server)
    await t?.close()
  })

  it('sends the real Origin (not null) with the login form, and the login works', async () => {
    const page = await (await browser.newContext()).newPage()
    const origins: (string | undefined)[] = []
    page.on('request', async (request) => {
      if (request.method() === 'POST') origins.push((await request.allHeaders()).origin)
    })
    await page.goto(`${baseUrl}/login`)
    await page.locator('#login-username').fill('ana')
    await page.locator('#login-password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Entrar' }).click()
    await expect.poll(() => page.url()).toBe(`${baseUrl}/`)
    expect(origins).toEqual([new URL(baseUrl).origin])
  })
})

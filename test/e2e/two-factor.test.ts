import { describe, expect, it } from 'vitest'
import { initFirm } from '../../src/core/clients/firm.js'
import { base32Decode, totpCode } from '../../src/core/identity/totp.js'
import { useServedPortal } from '../helpers/browser.js'
import { PASSWORD } from '../helpers/portal.js'

// Issue 9 §2 in a real browser: turn two-factor on from the QR page, log out, log in with the
// password and a code computed here from the secret the page shows.

describe('two-factor login in a real browser', () => {
  const s = useServedPortal(async (w) => {
    await initFirm(w.t.db, { firmName: 'Contabilidade Duas Etapas' })
    const client = await w.client('Padaria Duas Etapas Ltda')
    await w.user(client, 'ana', { role: 'admin' })
  })

  it('enables two-factor on /account, then logs in with password and code and reaches the client area', async () => {
    const page = await (await s.browser.newContext()).newPage()
    const logIn = async () => {
      await page.locator('#login-username').fill('ana')
      await page.locator('#login-password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Entrar' }).click()
    }
    await page.goto(`${s.baseUrl}/login`)
    await logIn()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/`)

    await page.goto(`${s.baseUrl}/account`)
    await page.getByRole('link', { name: 'Ativar verificação em duas etapas' }).click()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/account/2fa`)
    // The QR code is drawn: an inline SVG of a scannable size.
    const box = await page.locator('figure svg').boundingBox()
    expect(box!.width).toBeGreaterThanOrEqual(200)
    const secret = base32Decode((await page.locator('#two-factor-secret').textContent())!)
    expect(secret).toHaveLength(20)
    await page.locator('#two-factor-code').fill(totpCode(secret, new Date()))
    // Turning it on asks for the current password too (issue 19, §4).
    await page.locator('#two-factor-password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Ativar' }).click()
    await expect.poll(() => page.locator('#recovery-codes li').count()).toBe(10)
    await page.getByRole('link', { name: 'Continuar' }).click()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/account`)

    await page.getByRole('button', { name: 'Sair' }).click()
    await expect.poll(() => page.url()).toContain('/login')
    await logIn()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/login/codigo`)
    // Nothing of the area before the code.
    expect(await page.getByRole('link', { name: 'Documentos' }).count()).toBe(0)
    // The set-up spent the current step's code: the next step's is inside the window and new.
    await page.locator('#two-factor-code').fill(totpCode(secret, new Date(Date.now() + 30_000)))
    await page.getByRole('button', { name: 'Verificar' }).click()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/`)
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent()).toBeTruthy()
    expect(await page.getByRole('link', { name: 'Minha conta' }).count()).toBeGreaterThan(0)
  })
})

import { accountant } from '../../src/core/actors.js'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { createDelivery } from '../../src/core/delivery/deliveries.js'
import { initFirm, setFirmOptions } from '../../src/core/clients/firm.js'
import { useServedPortal } from '../helpers/browser.js'
import { accessRowsOf } from '../helpers/access-log.js'

// Real headless Chromium against a real `confi serve` process (docs/rules.md#portal, issue 4 part 7).

const PASSWORD = 'senha-do-navegador-1'
const LONG_NAME = 'DAS_PGDASD_11222333000181_202610_000000000000000000000'

describe('the portal in a real browser', () => {
  const fixture = {} as {
    loginPath: string
    gatedPath: string
    headDoc: string
    memberDoc: string
    otherDoc: string
    sha: string
    longDocPath: string
  }

  const s = useServedPortal(async (w) => {
    // The world's factories on a database the served process then opens.
    await initFirm(w.t.db, { firmName: 'Contabilidade Navegador' })
    await setFirmOptions(w.t.db, accountant('cli:test'), { bcryptCost: 10 })
    const head = await w.client('Matriz Navegador Ltda')
    const member = await w.client('Filial Navegador Ltda', { requireLogin: 'on' })
    const other = await w.client('Estranha SA')
    await w.group(head, [member])
    const headDoc = await w.doc(head, 'DAS da Matriz', 'fiscal')
    const memberDoc = await w.doc(member, 'Balancete da Filial', 'contabil', Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(50_000, 7)]))
    const otherDoc = await w.doc(other, 'Documento Alheio', 'fiscal')
    // An unbreakable name as the tax authority's systems produce them: title and file name.
    const longDoc = await w.doc(head, LONG_NAME, 'fiscal')
    const { token } = await createDelivery(w.t.db, w.t.key, accountant('cli:test'), { documentId: memberDoc.id, channel: 'whatsapp' })
    Object.assign(fixture, {
      loginPath: w.loginPath(head),
      gatedPath: `/d/${token}`,
      headDoc: headDoc.title,
      memberDoc: memberDoc.title,
      otherDoc: otherDoc.title,
      sha: memberDoc.sha,
      longDocPath: `/documents/${longDoc.id}`,
    })
  })

  async function freshPage(): Promise<Page> {
    const context = await s.browser.newContext({ acceptDownloads: true, viewport: { width: 360, height: 740 } })
    return context.newPage()
  }

  async function register(page: Page, name: string, username: string): Promise<void> {
    await page.goto(s.baseUrl + fixture.loginPath)
    await page.getByLabel('Nome completo').fill(name)
    await page.locator('#register-username').fill(username)
    await page.locator('#register-password').fill(PASSWORD)
    await page.locator('#register-password-confirm').fill(PASSWORD)
    await page.getByRole('button', { name: 'Cadastrar' }).click()
  }

  it('walks through registration, activation, group documents and a gated download', async () => {
    // 1. The first user becomes the administrator.
    const admin = await freshPage()
    await register(admin, 'Ana Administradora', 'ana')
    await expect.poll(() => admin.url()).toBe(`${s.baseUrl}/?aviso=admin`)
    expect(await admin.textContent('body')).toContain('Você administra a Área do Cliente')

    // 2. The second user waits for activation and is told so.
    const colab = await freshPage()
    await register(colab, 'Bruno Colaborador', 'bruno')
    expect(await colab.textContent('body')).toContain('aguardando ativação')
    await colab.goto(`${s.baseUrl}/login`)
    await colab.locator('#login-username').fill('bruno')
    await colab.locator('#login-password').fill(PASSWORD)
    await colab.getByRole('button', { name: 'Entrar' }).click()
    expect(await colab.textContent('body')).toContain('precisa ativá-la')

    // 3. The admin activates him in the s.browser.
    await admin.goto(`${s.baseUrl}/users`)
    await admin.locator('section', { hasText: 'Aguardando ativação' }).getByRole('button', { name: 'Ativar' }).click()
    expect(await admin.textContent('body')).toContain('Conta ativada')

    // 4. The collaborator logs in and sees the group's documents, and nobody else's.
    await colab.goto(`${s.baseUrl}/login`)
    await colab.locator('#login-username').fill('bruno')
    await colab.locator('#login-password').fill(PASSWORD)
    await colab.getByRole('button', { name: 'Entrar' }).click()
    await expect.poll(() => colab.url()).toBe(`${s.baseUrl}/`)
    const dashboard = (await colab.textContent('body')) ?? ''
    expect(dashboard).toContain(fixture.headDoc)
    expect(dashboard).toContain(fixture.memberDoc)
    expect(dashboard).not.toContain(fixture.otherDoc)
    // It fits a 360 px screen: nothing wider than the viewport, even with a long unbroken name.
    expect(dashboard).toContain(LONG_NAME)
    expect(await colab.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)
    await colab.goto(s.baseUrl + fixture.longDocPath)
    expect(await colab.textContent('body')).toContain(`${LONG_NAME}.pdf`)
    expect(await colab.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)

    // 5. A gated link asks for a login, then downloads the exact bytes.
    const visitor = await freshPage()
    await visitor.goto(s.baseUrl + fixture.gatedPath)
    const gate = (await visitor.textContent('body')) ?? ''
    expect(gate).toContain('exige login')
    expect(gate).not.toContain(fixture.memberDoc)
    await visitor.locator('#login-username').fill('bruno')
    await visitor.locator('#login-password').fill(PASSWORD)
    await visitor.getByRole('button', { name: 'Entrar' }).click()
    await expect.poll(() => visitor.url()).toBe(s.baseUrl + fixture.gatedPath)
    expect(await visitor.textContent('h1')).toBe(fixture.memberDoc)
    expect(await visitor.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)
    const [download] = await Promise.all([
      visitor.waitForEvent('download'),
      visitor.getByRole('link', { name: /Baixar/ }).click(),
    ])
    const bytes = readFileSync((await download.path())!)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(fixture.sha)

    // Format 2: the username is kept beside the row (access_log_personal), committed in it.
    const rows = (await accessRowsOf(s.t.db)).map(({ action, channel, username }) => ({ action, channel, username }))
    expect(rows.filter((r) => r.channel === 'whatsapp')).toEqual([
      { action: 'view', channel: 'whatsapp', username: 'bruno' },
      { action: 'download', channel: 'whatsapp', username: 'bruno' },
    ])
  }, 90_000)
})

import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { accountant } from '../../src/core/actors.js'
import { initFirm, setFirmOptions } from '../../src/core/clients/firm.js'
import { useServedPortal } from '../helpers/browser.js'
import { PASSWORD } from '../helpers/portal.js'

// The page layout in a real browser: the error summary of a failed submit is on screen on a 360 px
// phone, and the users table keeps every word whole at 1280 px.

// Runs in the page (a string: the tests compile without DOM types): every word of the users
// table that spans two lines, and the username cells taller than one line.
const MEASURE_TABLE = `(() => {
  const broken = []
  let words = 0
  const cells = [...document.querySelectorAll('table.list td')]
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? ''
      for (const match of text.matchAll(/\\S+/g)) {
        words += 1
        const range = document.createRange()
        range.setStart(node, match.index)
        range.setEnd(node, match.index + match[0].length)
        // A word split over two lines has a box on each.
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)))
        if (lines.size > 1) broken.push(match[0])
      }
    }
  }
  const lineHeight = (el) => parseFloat(getComputedStyle(el).lineHeight)
  const usernameCells = [...document.querySelectorAll('table.list tbody tr td:nth-child(2)')]
  const tall = usernameCells.filter((td) => {
    const range = document.createRange()
    range.selectNodeContents(td)
    return range.getBoundingClientRect().height > lineHeight(td) * 1.5
  })
  return { cells: cells.length, words, broken, tall: tall.map((td) => td.textContent), usernames: usernameCells.length }
})()`

describe('the page layout in a real browser', () => {
  let loginPath = ''

  const s = useServedPortal(async (w) => {
    await initFirm(w.t.db, { firmName: 'Contabilidade Exemplo de Nome Comprido Ltda' })
    await setFirmOptions(w.t.db, accountant('cli:test'), { bcryptCost: 10 })
    const client = await w.client('Padaria e Confeitaria Pão Quente do Bairro Ltda')
    loginPath = w.loginPath(client)
    await w.user(client, 'ana.beatriz.fernandes', { role: 'admin' })
    await w.user(client, 'bruno.henrique.carvalho', { role: 'admin' })
    await w.user(client, 'carla.souza@padaria.com.br')
    await w.user(client, 'davi_oliveira-santos', { status: 'pending' })
    await w.user(client, 'eduarda.figueiredo.lima', { status: 'disabled' })
  })

  async function pageOf(width: number, height: number): Promise<Page> {
    const context = await s.browser.newContext({ viewport: { width, height } })
    return context.newPage()
  }

  async function expectSummaryOnScreen(page: Page): Promise<void> {
    const summary = page.locator('.error-summary[role="alert"]')
    await expect.poll(() => summary.count()).toBe(1)
    const box = (await summary.boundingBox())!
    const viewport = page.viewportSize()!
    expect(box.x).toBeGreaterThanOrEqual(0)
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width)
    expect(box.y + box.height).toBeLessThanOrEqual(viewport.height)
    // The page opens at its top: nothing scrolled the summary into view.
    expect(await page.evaluate('window.scrollY')).toBe(0)
  }

  it('shows the error summary without scrolling on a 360×640 phone after a failed registration and login', async () => {
    const page = await pageOf(360, 640)
    await page.goto(s.baseUrl + loginPath)
    await page.locator('#register-name').fill('Fernanda Ribeiro')
    await page.locator('#register-username').fill('fernanda.ribeiro')
    await page.locator('#register-password').fill(PASSWORD)
    await page.locator('#register-password-confirm').fill(`${PASSWORD}-outra`)
    await page.getByRole('button', { name: 'Cadastrar' }).click()
    await expectSummaryOnScreen(page)
    // The summary's link leads to the field, which says what is wrong.
    await page.locator('.error-summary a').click()
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('register-password-confirm')
    const field = page.locator('#register-password-confirm')
    expect(await field.getAttribute('aria-invalid')).toBe('true')
    const errorId = (await field.getAttribute('aria-describedby'))!.split(' ')[0]
    expect(await page.locator(`#${errorId}`).textContent()).toContain('diferentes')

    await page.goto(`${s.baseUrl}/login`)
    await page.locator('#login-username').fill('ana.beatriz.fernandes')
    await page.locator('#login-password').fill('senha-errada-1')
    await page.getByRole('button', { name: 'Entrar' }).click()
    await expectSummaryOnScreen(page)
  })

  it('keeps every word of the users table whole at 1280 px', async () => {
    const page = await pageOf(1280, 800)
    await page.goto(`${s.baseUrl}/users`)
    await expect.poll(() => page.url()).toContain('/login?next=%2Fusers')
    await page.locator('#login-username').fill('ana.beatriz.fernandes')
    await page.locator('#login-password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Entrar' }).click()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/users`)
    const result = (await page.evaluate(MEASURE_TABLE)) as { cells: number; words: number; broken: string[]; tall: string[]; usernames: number }
    expect(result.cells).toBeGreaterThan(20)
    expect(result.words).toBeGreaterThan(60)
    expect(result.usernames).toBe(5)
    expect(result.broken).toEqual([])
    expect(result.tall).toEqual([])
  })
})

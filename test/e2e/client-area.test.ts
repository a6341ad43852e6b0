import { ACCOUNTANT } from '../helpers/factories.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addDocument } from '../../src/core/documents/documents.js'
import { localDate } from '../../src/core/time.js'
import { useServedPortal } from '../helpers/browser.js'
import { PASSWORD } from '../helpers/portal.js'
import { unzip } from '../helpers/zip.js'
import { accessRowsOf } from '../helpers/access-log.js'

// "A vencer" and "Baixar todos (ZIP)" in real headless Chromium on a 360 px phone, against a real
// `confi serve` (issue 10 part 7; docs/decisions.md, "Client area: due soon, new, accesses, ZIP").


function shift(days: number): string {
  const today = localDate()
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

describe('the client area on a phone', () => {
  let guideId = 0
  const files = { 'guia.pdf': Buffer.from('%PDF-1.4 guia\n'), 'recibo.pdf': Buffer.alloc(80_000, 3) }

  const s = useServedPortal(async (w) => {
    const client = await w.client('Padaria Pão Quente Comércio de Alimentos Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const add = async (title: string, dueDate: string, named: Record<string, Buffer>) => {
      const paths = Object.entries(named).map(([name, bytes], i) => {
        const path = join(w.t.dir, `${title.length}-${i}-${name}`)
        writeFileSync(path, bytes)
        return { path, name }
      })
      return addDocument(w.t.db, w.store, ACCOUNTANT, { clientId: client.id, title, category: 'fiscal', dueDate, files: paths })
    }
    guideId = (await add('FGTS 10/2026 — competência outubro', shift(-2), files)).id
    await add('DAS 11/2026', shift(3), { 'das.pdf': Buffer.from('%PDF-1.4 das\n') })
  })

  it('opens with "A vencer", overdue in red and in words, and downloads a document\'s files as one ZIP', async () => {
    const context = await s.browser.newContext({ acceptDownloads: true, viewport: { width: 360, height: 740 } })
    const page = await context.newPage()
    await page.goto(`${s.baseUrl}/login`)
    await page.locator('#login-username').fill('ana')
    await page.locator('#login-password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Entrar' }).click()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/`)

    // "A vencer" comes first, above the filters and the list.
    const panel = page.locator('section.due')
    expect(await page.evaluate("document.querySelector('section.due').compareDocumentPosition(document.querySelector('form.filters')) & 4")).toBe(4)
    const overdue = panel.locator('li.overdue')
    expect(await overdue.textContent()).toContain('Vencido há 2 dias')
    expect(await page.evaluate(`getComputedStyle(document.querySelector('li.overdue .due-when')).color`)).toBe('rgb(179, 38, 30)')
    expect(await panel.locator('li', { hasText: 'DAS 11/2026' }).textContent()).toContain('Vence em 3 dias')
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)

    await overdue.getByRole('link').click()
    await expect.poll(() => page.url()).toBe(`${s.baseUrl}/documents/${guideId}`)
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Baixar todos (ZIP)' }).click()])
    expect(download.suggestedFilename()).toMatch(/^FGTS 10_2026 — competência outubro\.zip$/)
    const unzipped = await unzip(readFileSync((await download.path())!))
    expect([...unzipped.keys()]).toEqual(Object.keys(files))
    for (const [name, bytes] of Object.entries(files)) expect(unzipped.get(name)!.equals(bytes)).toBe(true)

    // Format 2: the username is kept beside the row (access_log_personal), committed in it.
    const rows = (await accessRowsOf(s.t.db)).filter((row) => Number(row.document_id) === guideId && row.action === 'download')
    expect(rows).toHaveLength(2)
    expect(rows.every((row) => row.username === 'ana')).toBe(true)

    // Downloaded: the guide leaves "A vencer"; the page lists who opened it.
    await page.goto(`${s.baseUrl}/`)
    expect(await panel.textContent()).not.toContain('FGTS')
    await page.goto(`${s.baseUrl}/documents/${guideId}`)
    expect(await page.locator('#acessos').textContent()).toBe('Quem acessou')
    expect(await page.locator('table.accesses').textContent()).toContain('Baixou recibo.pdf')
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)
    await context.close()
  }, 90_000)
})

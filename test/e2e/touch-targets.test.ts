import { describe, expect, it } from 'vitest'
import { useServedPortal } from '../helpers/browser.js'
import { contextFor, fillClientPages, type ClientPages } from '../helpers/client-pages.js'

// Issue 22 §4, §5 and §9 in Chromium: on a 360 px phone every link, button, field and summary of
// the main pages is at least 44×44 px (WCAG 2.5.5), and the document list comes before the
// filters; at 1280 px no filter select cuts its text.

// Runs in the page: every target that is on screen and smaller than 44×44. A checkbox's target is
// its label, which toggles it. Closed <details> are opened first, so their fields count too.
const SMALL_TARGETS = `(() => {
  for (const d of document.querySelectorAll('details')) d.open = true
  const small = []
  let measured = 0
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    const target = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el
    const r = target.getBoundingClientRect()
    if (r.width === 0 || r.height === 0 || r.right <= 0) continue
    measured += 1
    if (r.width < 44 || r.height < 44) small.push(el.tagName + ' "' + (el.textContent || el.name || el.id).trim().slice(0, 40) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height))
  }
  return { measured, small }
})()`

// Runs in the page: the selects whose chosen option's text is wider than the room inside them.
const CUT_SELECTS = `(() => {
  for (const d of document.querySelectorAll('details')) d.open = true
  const canvas = document.createElement('canvas').getContext('2d')
  const cut = []
  for (const select of document.querySelectorAll('select')) {
    const style = getComputedStyle(select)
    canvas.font = style.font
    const text = select.options[select.selectedIndex].text
    // Padding on both sides and about 24 px for the arrow.
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 24
    if (canvas.measureText(text).width > room) cut.push(select.id + ': ' + text)
  }
  return cut
})()`

describe('what a client touches, in Chromium', () => {
  const pages = {} as ClientPages
  const s = useServedPortal((w) => fillClientPages(w, pages))

  // Every page of fillClientPages, each in a fresh context: more than the default minute on a busy machine.
  it('makes every link, button and field of the main pages at least 44×44 px at 360 px', async () => {
    const problems: Record<string, string[]> = {}
    let measured = 0
    for (const [name, path] of Object.entries(pages.paths)) {
      const context = await contextFor(s.browser, s.baseUrl, pages, 360, pages.anonymous.has(name))
      const page = await context.newPage()
      await page.goto(s.baseUrl + path)
      const result = (await page.evaluate(SMALL_TARGETS)) as { measured: number; small: string[] }
      measured += result.measured
      if (result.small.length > 0) problems[name] = result.small
      await context.close()
    }
    expect(problems).toEqual({})
    expect(measured).toBeGreaterThan(80)
  }, 180_000)

  it('shows the document list before the filters on a phone, with the filters behind "Filtrar"', async () => {
    const context = await contextFor(s.browser, s.baseUrl, pages, 360, false)
    const page = await context.newPage()
    await page.goto(s.baseUrl + '/')
    const summary = page.locator('details.filter-box > summary')
    expect(await summary.textContent()).toBe('Filtrar')
    expect(await page.locator('#f-category').isVisible()).toBe(false)
    const details = (await page.locator('details.filter-box').boundingBox())!
    expect(details.height).toBeLessThan(100)
    const table = (await page.locator('table.list').boundingBox())!
    expect(table.y).toBeLessThan(details.y + 150)
    await summary.click()
    expect(await page.locator('#f-category').isVisible()).toBe(true)
    await context.close()
  })

  it('cuts no filter select at 1280 px', async () => {
    const context = await contextFor(s.browser, s.baseUrl, pages, 1280, false)
    const page = await context.newPage()
    await page.goto(s.baseUrl + '/')
    expect(await page.evaluate(CUT_SELECTS)).toEqual([])
    expect(await page.locator('select').count()).toBe(3)
    await context.close()
  })
})

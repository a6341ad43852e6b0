import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useServedPortal } from '../helpers/browser.js'
import { contextFor, fillClientPages, type ClientPages } from '../helpers/client-pages.js'

// Screenshots of the main pages at 360 and 1280 px, for a person to look at after a run: CI keeps
// test-results/screenshots/ when a run fails (.ci/run prints the path; README.md, "Tests").
// Each page is also checked for what a screenshot would show wrong: nothing wider than the screen.

const SCREENSHOTS = resolve('test-results', 'screenshots')

describe('screenshots of the main pages', () => {
  const pages = {} as ClientPages
  const s = useServedPortal((w) => fillClientPages(w, pages))

  for (const width of [360, 1280]) {
    it(`saves each main page at ${width} px, none wider than the screen`, async () => {
      mkdirSync(SCREENSHOTS, { recursive: true })
      const overflowing: string[] = []
      for (const [name, path] of Object.entries(pages.paths)) {
        const context = await contextFor(s.browser, s.baseUrl, pages, width, pages.anonymous.has(name))
        const page = await context.newPage()
        const response = await page.goto(s.baseUrl + path)
        expect(response!.status(), name).toBe(name === 'link-gone' ? 410 : 200)
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true })
        if ((await page.evaluate('document.documentElement.scrollWidth')) as number > width) overflowing.push(name)
        await context.close()
      }
      expect(overflowing).toEqual([])
    })
  }
})

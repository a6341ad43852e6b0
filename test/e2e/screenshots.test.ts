import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useServedPortal } from '../helpers/browser.js'
import { contextFor, fillClientPages, type ClientPages } from '../helpers/client-pages.js'

// Screenshots of the main pages at 360 and 1280 px, for a person to look at after a run: CI keeps
// test-results/screenshots/ when a run fails (.ci/run prints the path; README.md, "Tests").
// Each page is also checked for what a screenshot would show wrong: nothing wider than the screen,
// and no accessibility violation axe-core finds (WCAG 2.x A and AA rules).

const SCREENSHOTS = resolve('test-results', 'screenshots')
// Every page of fillClientPages, each loaded, photographed and audited by axe (about 3 s each on a quiet machine).
const PAGES_TIMEOUT_MS = 240_000
const AXE_SOURCE: string = createRequire(import.meta.url)('axe-core').source

interface AxeViolation {
  id: string
  nodes: Array<{ target: string[] }>
}

describe('screenshots of the main pages', () => {
  const pages = {} as ClientPages
  const s = useServedPortal((w) => fillClientPages(w, pages))

  for (const width of [360, 1280]) {
    it(`saves each main page at ${width} px, none wider than the screen, no axe-core violation`, async () => {
      mkdirSync(SCREENSHOTS, { recursive: true })
      const overflowing: string[] = []
      const violations: string[] = []
      for (const [name, path] of Object.entries(pages.paths)) {
        const context = await contextFor(s.browser, s.baseUrl, pages, width, pages.anonymous.has(name))
        const page = await context.newPage()
        const response = await page.goto(s.baseUrl + path)
        expect(response!.status(), name).toBe(name === 'link-gone' ? 410 : 200)
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true })
        if ((await page.evaluate('document.documentElement.scrollWidth')) as number > width) overflowing.push(name)
        // Evaluated through the DevTools protocol: the pages' CSP (rightly) refuses inline scripts.
        await page.evaluate(AXE_SOURCE)
        const found = (await page.evaluate(
          "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }).then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => ({ target: n.target })) })) }))",
        )) as { passes: number; violations: AxeViolation[] }
        // axe really ran: a page passes dozens of rules (a blocked script would pass none).
        expect(found.passes, name).toBeGreaterThan(10)
        for (const v of found.violations) violations.push(`${name}: ${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
        await context.close()
      }
      expect(overflowing).toEqual([])
      expect(violations).toEqual([])
    }, PAGES_TIMEOUT_MS)
  }
})

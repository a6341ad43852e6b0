import { describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { accountant } from '../../src/core/actors.js'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { acceptTerms, currentTerms } from '../../src/core/identity/terms.js'
import { getUser } from '../../src/core/identity/users.js'
import { addDays, localDate } from '../../src/core/time.js'
import { useServedPortal } from '../helpers/browser.js'
import { fillClientPages, type ClientPages } from '../helpers/client-pages.js'
import { makeDocument, writeTestFile } from '../helpers/factories.js'
import { PDF } from '../core/uploads/multipart.js'

// The client area walked on a phone as an outside checker would (issue 24): 360×740 at device
// scale 2 with touch, and 320×568, in Brazilian Portuguese. What layout, touch-targets and
// screenshots do not measure: the size of what is read and typed, values that must not break
// (a CNPJ, an amount), where a list's bullet stands, what a phone keyboard does to a username,
// and what a refused upload keeps. One browser; one context per width and person, pages reused.

const LONG_FILE = 'extrato_bancario_conta_corrente_0001234567_novembro_2025_v2.pdf'
const LONG_USER = 'fernanda.albuquerque.cavalcanti@padariapaoquentedobairro.com.br'
const PHONES = [
  { width: 360, height: 740 },
  { width: 320, height: 568 },
]

// Runs in the page: the fields under 16 px (iOS zooms into them) and the visible text under 16 px,
// but for the "Novo" badge, a marker rather than something to read.
const SMALL_TEXT = `(() => {
  for (const d of document.querySelectorAll('details')) d.open = true
  const small = new Set()
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (parseFloat(getComputedStyle(el).fontSize) < 16) small.add('field ' + (el.id || el.name))
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement
    if (!node.textContent.trim() || !parent.getClientRects().length || parent.closest('.badge, .skip')) continue
    const size = parseFloat(getComputedStyle(parent).fontSize)
    if (size < 16) small.add(parent.tagName.toLowerCase() + '.' + parent.className + ' ' + size + 'px "' + node.textContent.trim().slice(0, 30) + '"')
  }
  return { small: [...small], wide: document.documentElement.scrollWidth > innerWidth }
})()`

// Runs in the page: each CNPJ and R$ amount of the main content split over more than one line.
const BROKEN_VALUES = `(() => {
  const broken = []
  let found = 0
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/\\d{2}\\.\\d{3}\\.\\d{3}\\/\\d{4}-\\d{2}|R\\$\\s[\\d.]+,\\d{2}/g)) {
      found += 1
      const range = document.createRange()
      range.setStart(node, match.index)
      range.setEnd(node, match.index + match[0].length)
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)))
      if (lines.size > 1) broken.push(match[0])
    }
  }
  return { found, broken }
})()`

// Runs in the page: the links that start a bulleted list item narrower than the item. Such a link
// is an inline block, whose baseline (where the bullet goes) is its last line.
const SHORT_ITEM_LINKS = `(() => {
  const short = []
  let found = 0
  for (const a of document.querySelectorAll('main li > a:first-child')) {
    const li = a.parentElement
    if (getComputedStyle(li).listStyleType === 'none') continue
    found += 1
    if (a.getBoundingClientRect().width < li.getBoundingClientRect().width - 1) short.push(a.textContent.trim().slice(0, 40))
  }
  return { found, short }
})()`

// Runs in the page: the links sharing a line with text as 44 px inline blocks (a taller first
// line), and the cards whose first heading or paragraph adds space above it.
const UNEVEN = `(() => {
  const links = []
  for (const a of document.querySelectorAll('main p a')) {
    const p = a.closest('p')
    if (getComputedStyle(a).display === 'inline-block' && p.textContent.trim() !== a.textContent.trim()) links.push(a.textContent.trim().slice(0, 30))
  }
  const headings = []
  for (const h of document.querySelectorAll('.card > :first-child')) {
    if (h.getBoundingClientRect().top - h.parentElement.getBoundingClientRect().top > parseFloat(getComputedStyle(h.parentElement).paddingTop) + 2) headings.push(h.textContent.trim().slice(0, 30))
  }
  return { links, headings }
})()`

// Runs in the page: the header's height, its targets under 44×44, and the firm's name's lines.
const HEADER = `(() => {
  const header = document.querySelector('header')
  const small = [...header.querySelectorAll('a, button')].filter((e) => {
    const r = e.getBoundingClientRect()
    return r.width < 44 || r.height < 44
  }).map((e) => e.textContent.trim())
  const firm = header.querySelector('.firm')
  return { height: header.getBoundingClientRect().height, small, firmLines: Math.round(firm.getBoundingClientRect().height / parseFloat(getComputedStyle(firm).lineHeight)), wide: document.documentElement.scrollWidth > innerWidth }
})()`

describe('the client area walked on a phone', () => {
  const pages = {} as ClientPages
  const more = { bigDocument: '', bigSession: '' }
  const s = useServedPortal(async (w) => {
    await fillClientPages(w, pages)
    const actor = accountant('cli:test')
    const origin = { ip: '198.51.100.4', port: 40000, userAgent: 'Teste' }
    // A long company name, a 60-character file name, a seven-digit amount and a long e-mail as username.
    const big = await w.client('Comercial Importadora e Exportadora de Produtos Alimentícios Pão Quente do Bairro Eireli')
    const today = localDate()
    const document = await makeDocument(w.t, big.id, {
      title: 'Guia de recolhimento do FGTS — competência de novembro (todas as filiais)',
      dueDate: addDays(today, 5),
      amountCents: 123456789,
      files: [
        { path: writeTestFile(w.t.dir, 'long-name.pdf', '%PDF-1.4 a'), name: LONG_FILE },
        { path: writeTestFile(w.t.dir, 'short-name.pdf', '%PDF-1.4 b'), name: 'recibos.pdf' },
      ],
    })
    const admin = await w.user(big, LONG_USER, { role: 'admin' })
    await acceptTerms(w.t.db, await getUser(w.t.db, admin.id), (await currentTerms(w.t.db))!.id, origin)
    more.bigDocument = `/documents/${document.id}`
    more.bigSession = (await w.cookieFor(admin)).split('=')[1]
    await setFirmOptions(w.t.db, actor, { uploadMaxMb: 1 })
  })

  const contexts = new Map<string, BrowserContext>()
  /** The page of `who` at `width`, made once and reused. */
  async function phone(width: number, who: 'anonymous' | 'admin' | 'big'): Promise<Page> {
    const key = `${width}-${who}`
    let context = contexts.get(key)
    if (!context) {
      const height = PHONES.find((p) => p.width === width)!.height
      context = await s.browser.newContext({ viewport: { width, height }, deviceScaleFactor: 2, hasTouch: true, isMobile: true, locale: 'pt-BR' })
      const session = who === 'admin' ? pages.adminSession : who === 'big' ? more.bigSession : null
      if (session) await context.addCookies([{ name: 'confi_session', value: session, url: s.baseUrl }])
      await context.newPage()
      contexts.set(key, context)
    }
    return context.pages()[0]
  }

  /** Chooses a file over the 1 MB limit in `field`, submits with `button`; the answer's status, page loaded. */
  async function sendTooBig(page: Page, field: string, name: string, button: string): Promise<number> {
    await page.locator(field).setInputFiles({ name, mimeType: 'application/pdf', buffer: Buffer.concat([PDF, Buffer.alloc(1_200_000, 32)]) })
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: button }).click()])
    await page.waitForLoadState()
    return response.status()
  }

  // Every page at two widths: more than the default minute on a busy machine.
  it('reads and types nothing under 16 px, nor scrolls sideways, on any main page at 360 and 320 px', async () => {
    const problems: Record<string, string[]> = {}
    for (const { width } of PHONES) {
      for (const [name, path] of [...Object.entries(pages.paths), ['big-document', more.bigDocument]]) {
        const page = await phone(width, pages.anonymous.has(name) ? 'anonymous' : name === 'big-document' ? 'big' : 'admin')
        await page.goto(s.baseUrl + path)
        const result = (await page.evaluate(SMALL_TEXT)) as { small: string[]; wide: boolean }
        const found = [...result.small, ...(result.wide ? ['scrolls sideways'] : [])]
        if (found.length > 0) problems[`${name}@${width}`] = found
      }
    }
    expect(problems).toEqual({})
  }, 240_000)

  it('keeps each CNPJ and amount on one line and each file link as wide as its item at 320 px', async () => {
    const page = await phone(320, 'big')
    await page.goto(s.baseUrl + more.bigDocument)
    const values = (await page.evaluate(BROKEN_VALUES)) as { found: number; broken: string[] }
    expect(values.found).toBe(2)
    expect(values.broken).toEqual([])
    const links = (await page.evaluate(SHORT_ITEM_LINKS)) as { found: number; short: string[] }
    expect(links.found).toBe(2)
    expect(links.short).toEqual([])
    // The list of documents: the amount in its card.
    await page.goto(`${s.baseUrl}/`)
    expect(await page.evaluate(BROKEN_VALUES)).toEqual({ found: 2, broken: [] })
    // The page of an upload: its files (the NF-e line's CNPJs and total are whole too).
    const admin = await phone(320, 'admin')
    await admin.goto(s.baseUrl + pages.paths.upload)
    expect(await admin.evaluate(SHORT_ITEM_LINKS)).toEqual({ found: 2, short: [] })
    expect(((await admin.evaluate(BROKEN_VALUES)) as { broken: string[] }).broken).toEqual([])
  })

  it('lets no phone keyboard capitalize or correct a username or a code', async () => {
    const fields: string[] = []
    for (const [who, path, selector] of [
      ['anonymous', '/login', '#login-username'],
      ['anonymous', pages.paths.area, '#register-username'],
      ['admin', '/users', '#new-username'],
      ['admin', pages.paths['two-factor-setup'], '#two-factor-code'],
    ] as const) {
      const page = await phone(360, who)
      await page.goto(s.baseUrl + path)
      const field = page.locator(selector)
      fields.push(`${selector}: ${await field.getAttribute('autocapitalize')} ${await field.getAttribute('autocorrect')} ${await field.getAttribute('spellcheck')}`)
    }
    expect(fields).toEqual(['#login-username', '#register-username', '#new-username', '#two-factor-code'].map((id) => `${id}: none off false`))
  })

  it('puts "Sair" on the row of the user\'s name', async () => {
    const page = await phone(360, 'admin')
    await page.goto(`${s.baseUrl}/`)
    const name = (await page.locator('header nav .who').boundingBox())!
    const logout = (await page.locator('header nav button').boundingBox())!
    expect(Math.abs(name.y + name.height / 2 - (logout.y + logout.height / 2))).toBeLessThan(2)
  })

  it('keeps the header to a quarter of the first screen at 320 px, its targets 44×44, without script', async () => {
    const page = await phone(320, 'admin')
    await page.goto(`${s.baseUrl}/`)
    const header = (await page.evaluate(HEADER)) as { height: number; small: string[]; firmLines: number; wide: boolean }
    expect(header.small).toEqual([])
    expect(header.firmLines).toBe(1)
    expect(header.wide).toBe(false)
    expect(header.height).toBeLessThanOrEqual(568 / 4)
    // The long name of the other firm's admin wraps to a row of its own, still on screen.
    const big = await phone(320, 'big')
    await big.goto(`${s.baseUrl}/`)
    expect(((await big.evaluate(HEADER)) as { wide: boolean; small: string[] })).toMatchObject({ wide: false, small: [] })
  })

  it('keeps line spacing even (no inline-block link in running text) and no extra space above a card\'s heading', async () => {
    const found: Record<string, unknown> = {}
    for (const name of ['guide-paid', 'upload', 'document', 'documents', 'request', 'login']) {
      const page = await phone(320, name === 'login' ? 'anonymous' : 'admin')
      await page.goto(s.baseUrl + pages.paths[name])
      const result = (await page.evaluate(UNEVEN)) as { links: string[]; headings: string[] }
      if (result.links.length || result.headings.length) found[name] = result
    }
    expect(found).toEqual({})
  })

  it('shows a request again when its file is refused, the error by the file field and the note kept', async () => {
    const page = await phone(360, 'admin')
    await page.goto(s.baseUrl + pages.paths.request)
    await page.locator('#envio-nota').fill('Conta corrente e poupança')
    expect(await sendTooBig(page, '#envio-arquivos', LONG_FILE, 'Enviar ao escritório')).toBe(413)
    expect(await page.locator('h1').textContent()).toBe('Extrato bancário')
    expect(await page.locator('.error-summary a').getAttribute('href')).toBe('#envio-arquivos')
    expect(await page.locator('#envio-arquivos-error').textContent()).toContain('passa de 1 MB')
    expect(await page.locator('#envio-nota').inputValue()).toBe('Conta corrente e poupança')
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)
  })

  it('keeps the date typed when a guide\'s proof is refused', async () => {
    const page = await phone(360, 'admin')
    await page.goto(s.baseUrl + pages.paths.guide)
    const earlier = addDays(localDate(), -1)
    await page.locator('#pay-paid-on').fill(earlier)
    expect(await sendTooBig(page, '#pay-arquivos', 'comprovante.pdf', 'Marcar como pago')).toBe(413)
    expect(await page.locator('#pay-arquivos-error').textContent()).toContain('passa de 1 MB')
    expect(await page.locator('#pay-paid-on').inputValue()).toBe(earlier)
  })

  it('keeps the company, category and note of a send refused for a file too big, the error by the file field', async () => {
    const page = await phone(360, 'admin')
    await page.goto(`${s.baseUrl}/enviar`)
    await page.locator('#enviar-empresa').selectOption({ label: 'Pão Quente Filial Norte Ltda' })
    await page.locator('#enviar-categoria').selectOption('fiscal')
    await page.locator('#enviar-nota').fill('Extrato de novembro, conta 12345-6')
    expect(await sendTooBig(page, '#enviar-arquivos', LONG_FILE, 'Enviar')).toBe(413)
    expect(await page.locator('#enviar-arquivos-error').textContent()).toContain('passa de 1 MB')
    expect(await page.locator('#enviar-empresa option:checked').textContent()).toBe('Pão Quente Filial Norte Ltda')
    expect(await page.locator('#enviar-categoria').inputValue()).toBe('fiscal')
    expect(await page.locator('#enviar-nota').inputValue()).toBe('Extrato de novembro, conta 12345-6')
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)
  })
})

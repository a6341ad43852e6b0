import { createServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { initFirm, setFirmOptions } from '../../src/core/clients/firm.js'
import { launchChromium, startServe, type RunningServe } from '../helpers/browser.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeDocument } from '../helpers/factories.js'
import { ACCOUNTANT, makeClient } from '../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'

// The whole delivery loop in a real browser (issue 10): docs send → the running `confi serve`
// sends the e-mail → the test's SMTP server receives it → the link opens → download →
// `docs status` shows the view and the download.


async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe('the delivery loop in a real browser', () => {
  const t = useTestDatabase({ shared: true })
  let smtp: TestSmtp
  let server: RunningServe | undefined
  let browser: Browser
  let env: Record<string, string>
  let documentId = 0

  beforeAll(async () => {
    const port = await freePort()
    await initFirm(t.db, { firmName: 'Contabilidade Navegador', baseUrl: `http://127.0.0.1:${port}` })
    await setFirmOptions(t.db, ACCOUNTANT, { bcryptCost: 10, mailFrom: 'Contabilidade Navegador <avisos@escritorio.com.br>' })
    const client = await makeClient(t.db, t.key, { name: 'Padaria do Navegador Ltda', requireLogin: 'off' })
    documentId = (await makeDocument(t, client.id, { title: 'DAS 11/2026', competence: '2026-11', dueDate: '2026-12-21' })).id
    smtp = await startTestSmtp()
    env = { ...t.env, CONFI_SMTP_URL: smtp.url, CONFI_OUTBOX_INTERVAL_MS: '300' }
    server = (await startServe(env, { args: ['--port', String(port)], ready: /sending e-mail through smtp:\/\/127\.0\.0\.1:\d+\n/, timeoutMs: 30_000 })).serve
    browser = await launchChromium()
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await smtp?.close()
  })

  it('sends the e-mail, opens its link, downloads, and docs status shows it', async () => {
    const send = await runConfi(['docs', 'send', String(documentId), '--channel', 'email', '--to', 'financeiro@padaria.com.br'], { env, cwd: t.dir })
    expect(send.code, send.stderr).toBe(0)
    const [mail] = await smtp.waitFor(1, 30_000)
    expect(mail.subject).toBe('DAS 11/2026 – Padaria do Navegador Ltda (vencimento 21/12/2026)')
    const link = /http:\/\/127\.0\.0\.1:\d+\/d\/\S+/.exec(mail.text ?? '')![0]
    const page = await (await browser.newContext({ acceptDownloads: true })).newPage()
    await page.goto(link)
    expect(await page.textContent('h1')).toBe('DAS 11/2026')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Baixar/ }).click()])
    expect(await download.path()).toBeTruthy()

    const status = await runConfi(['docs', 'status', String(documentId), '--json'], { env, cwd: t.dir })
    expect(status.code, status.stderr).toBe(0)
    const [delivery] = JSON.parse(status.stdout).deliveries
    expect(delivery.mails).toMatchObject([{ kind: 'delivery', status: 'sent', serverReply: expect.stringMatching(/^250 /) }])
    expect(delivery.firstView).toMatchObject({ channel: 'email', username: null })
    expect(delivery.firstDownload).toMatchObject({ channel: 'email', username: null })
    const text = await runConfi(['docs', 'status', String(documentId)], { env, cwd: t.dir })
    expect(text.stdout).toMatch(/first download: .* by someone without login \(email\)/)
  }, 180_000)
})

import { createServer, type AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initFirm, setFirmOptions } from '../../src/core/clients/firm.js'
import { addRequest } from '../../src/core/requests/index.js'
import { addDays, localDate, nowIso } from '../../src/core/time.js'
import { launchChromium, startServe, type RunningServe } from '../helpers/browser.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser, PASSWORD } from '../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'
import { CSV, PDF } from '../core/uploads/multipart.js'

// The client answers, in real headless Chromium on a 360 px phone against a real `confi serve`
// (issue 20, "Tests"): one user answers a request with two files from the file picker, another
// says "nada a enviar", a third marks a DAS paid with the bank's proof. Then the accountant sees
// all three with the real CLI, the firm's inbox e-mail and the client's answer e-mail reach a real
// SMTP server, and `docs verify` passes.

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

const today = localDate()
const br = (iso: string) => iso.split('-').reverse().join('/')

describe('the client answers on a phone', () => {
  const t = useTestDatabase({ shared: true })
  let smtp: TestSmtp
  let server: RunningServe | undefined
  let browser: Browser
  let env: Record<string, string>
  let baseUrl = ''
  const ids = { extrato: 0, notas: 0, das: 0 }

  beforeAll(async () => {
    const port = await freePort()
    baseUrl = `http://127.0.0.1:${port}`
    await initFirm(t.db, { firmName: 'Contabilidade Exemplo', baseUrl })
    await setFirmOptions(t.db, ACCOUNTANT, {
      bcryptCost: 10,
      mailFrom: 'Contabilidade Exemplo <avisos@escritorio.com.br>',
      inboxEmail: 'recebidos@escritorio.com.br',
    })
    const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
    for (const [username, name, role] of [['ana', 'Ana Souza', 'admin'], ['bia', 'Bia Lima', 'collaborator'], ['caio', 'Caio Reis', 'collaborator']] as const) {
      await makeUser(t.db, { clientId: client.id, username, name, role, active: true, email: `${username}@padaria.com.br` })
    }
    const ask = (title: string, category: string, due: number) =>
      addRequest(t.db, ACCOUNTANT, { clientId: client.id, title, category, competence: '2026-11', dueDate: addDays(today, due) })
    ids.extrato = (await ask('Extrato bancário', 'contabil', 2)).id
    ids.notas = (await ask('Notas fiscais de entrada', 'fiscal', -1)).id
    ids.das = (await makeDocument(t, client.id, { title: 'DAS 11/2026', category: 'fiscal', competence: today.slice(0, 7), dueDate: addDays(today, 5) })).id
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

  const confi = async (args: string[]) => {
    const result = await runConfi(args, { env, cwd: t.dir })
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result.stdout
  }

  async function phoneOf(username: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } })
    const page = await context.newPage()
    await page.goto(`${baseUrl}/login`)
    await page.locator('#login-username').fill(username)
    await page.locator('#login-password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Entrar' }).click()
    await expect.poll(() => page.url()).toBe(`${baseUrl}/`)
    return page
  }

  const fitsThePhone = async (page: Page) => expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)

  it('answers, says "nada a enviar", marks a guide paid; the accountant sees it all and the mails arrive', async () => {
    // Ana answers the bank statement request with two files chosen in the file picker.
    const ana = await phoneOf('ana')
    const pending = ana.locator('section[aria-labelledby="pendencias"]')
    expect(await pending.locator('li').allTextContents()).toEqual([
      expect.stringContaining('Notas fiscais de entrada'),
      expect.stringContaining('Extrato bancário'),
    ])
    await fitsThePhone(ana)
    await pending.getByRole('link', { name: 'Extrato bancário' }).click()
    await expect.poll(() => ana.url()).toBe(`${baseUrl}/pendencias/${ids.extrato}`)
    await fitsThePhone(ana)
    await ana.locator('#envio-arquivos').setInputFiles([
      { name: 'extrato-novembro.pdf', mimeType: 'application/pdf', buffer: PDF },
      { name: 'extrato-novembro.csv', mimeType: 'text/csv', buffer: CSV },
    ])
    await ana.locator('#envio-nota').fill('Conta corrente e aplicação')
    await ana.getByRole('button', { name: 'Enviar ao escritório' }).click()
    await expect.poll(() => ana.url()).toMatch(new RegExp(`^${baseUrl}/envios/\\d+\\?aviso=enviado$`))
    const answerUpload = Number(/\/envios\/(\d+)/.exec(ana.url())![1])
    const sent = await ana.locator('main').textContent()
    for (const text of ['Arquivos enviados', 'extrato-novembro.pdf', 'extrato-novembro.csv', 'Conta corrente e aplicação', 'Enviado por Ana Souza']) {
      expect(sent).toContain(text)
    }
    await fitsThePhone(ana)

    // Bia says there is nothing to send this month.
    const bia = await phoneOf('bia')
    await bia.locator('section[aria-labelledby="pendencias"]').getByRole('link', { name: 'Notas fiscais de entrada' }).click()
    await bia.locator('#nada-observacao').fill('Sem compras em novembro')
    await bia.getByRole('button', { name: 'Nada a enviar neste mês' }).click()
    await expect.poll(async () => (await bia.locator('main').textContent()) ?? '').toContain('Pronto: o escritório foi avisado')
    await fitsThePhone(bia)

    // Caio marks the DAS paid, with the bank's proof from the file picker.
    const caio = await phoneOf('caio')
    await caio.goto(`${baseUrl}/documents/${ids.das}`)
    await caio.locator('#pay-arquivos').setInputFiles({ name: 'comprovante-das.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% comprovante\n%%EOF\n') })
    await caio.getByRole('button', { name: 'Marcar como pago' }).click()
    await expect.poll(() => caio.url()).toBe(`${baseUrl}/documents/${ids.das}?aviso=pago`)
    const paid = await caio.locator('#pagamento').locator('..').textContent()
    expect(paid).toContain(`Pago em ${br(today)} por Caio Reis.`)
    await fitsThePhone(caio)
    await caio.getByRole('link', { name: 'Comprovante do pagamento' }).click()
    await expect.poll(() => caio.url()).toMatch(new RegExp(`^${baseUrl}/envios/\\d+$`))
    const proofUpload = Number(/\/envios\/(\d+)/.exec(caio.url())![1])
    expect(await caio.locator('main').textContent()).toContain('comprovante-das.pdf')
    await fitsThePhone(caio)
    for (const page of [ana, bia, caio]) await page.context().close()

    // The accountant sees all three with the CLI.
    const inbox = JSON.parse(await confi(['inbox', 'list', '--json'])) as { id: number; requestId: number | null; category: string; files: { name: string }[] }[]
    expect(inbox.map((u) => [u.id, u.requestId, u.category, u.files.map((f) => f.name)])).toEqual([
      [proofUpload, null, 'fiscal', ['comprovante-das.pdf']],
      [answerUpload, ids.extrato, 'contabil', ['extrato-novembro.pdf', 'extrato-novembro.csv']],
    ])
    expect(await confi(['inbox', 'list'])).toContain(`${ids.extrato} Extrato bancário`)
    const requests = JSON.parse(await confi(['requests', 'list', '--json'])) as { id: number; status: string }[]
    expect(Object.fromEntries(requests.map((r) => [r.id, r.status]))).toEqual({ [ids.extrato]: 'received', [ids.notas]: 'nothing_to_send' })
    expect(await confi(['requests', 'show', String(ids.notas)])).toContain('Sem compras em novembro')
    expect(await confi(['docs', 'status', String(ids.das)])).toMatch(
      new RegExp(`paid on ${today}: marked .* by caio \\(Caio Reis\\) in the portal; proof: upload ${proofUpload}`),
    )

    // The firm's inbox e-mail: one digest of both uploads, sent by the running server once its
    // window ends (brought forward here rather than waited for).
    await t.db.updateTable('outbox').set({ next_attempt_at: nowIso() }).where('kind', '=', 'inbox').execute()
    const [digest] = await smtp.waitFor(1, 30_000)
    expect(digest.to).toMatchObject({ text: 'recebidos@escritorio.com.br' })
    expect(digest.subject).toBe('2 novos envios de clientes')
    expect(digest.text).toContain(`Envio ${answerUpload}: Padaria Pão Quente Ltda`)
    expect(digest.text).toContain(`Comprovante de pagamento: DAS 11/2026 (documento ${ids.das})`)

    // The firm accepts the statement: Ana, who sent it and is the admin, is told by e-mail.
    await confi(['inbox', 'accept', String(answerUpload), '--category', 'contabil'])
    const [, answer] = await smtp.waitFor(2, 30_000)
    expect(answer.to).toMatchObject({ text: 'ana@padaria.com.br' })
    expect(answer.subject).toMatch(/aceito$/)
    expect(answer.text).toContain(`${baseUrl}/envios/${answerUpload}`)
    const closed = JSON.parse(await confi(['requests', 'list', '--json', '--status', 'accepted'])) as { id: number }[]
    expect(closed.map((r) => r.id)).toEqual([ids.extrato])

    // Every answer is a row of the access log, and the chain verifies.
    const kinds = await t.db.selectFrom('access_log').select('kind').where('kind', 'in', ['upload.received', 'request.nothing_to_send', 'document.paid', 'upload.accepted']).orderBy('id').execute()
    expect(kinds.map((k) => k.kind)).toEqual(['upload.received', 'request.nothing_to_send', 'upload.received', 'document.paid', 'upload.accepted'])
    await confi(['docs', 'verify'])
  }, 240_000)
})

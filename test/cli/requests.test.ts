import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { answerNothingToSend } from '../../src/core/requests/index.js'
import { addDays, localDate } from '../../src/core/time.js'
import { runCli, runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeUser } from '../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'

const t = useTestDatabase({ firm: true })
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'
let taxId: string
let clientId: number
beforeEach(async () => {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  taxId = client.taxId
  clientId = client.id
})

const confi = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: { ...t.env, ...env }, cwd: t.dir })
const json = async (args: string[], env: Record<string, string> = {}) => {
  const result = await confi([...args, '--json'], env)
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout)
}

describe('confi requests', () => {
  it('adds, lists, shows, closes, reopens and cancels requests, with --json everywhere', async () => {
    const added = await json(['requests', 'add', '--client', taxId, '--title', 'Contrato social atualizado', '--due', '2026-12-10', '--note', 'A última alteração'])
    expect(added).toMatchObject({ clientId, title: 'Contrato social atualizado', category: 'outros', status: 'open', dueDate: '2026-12-10', note: 'A última alteração' })
    const table = await confi(['requests', 'list'])
    expect(table.stdout).toMatch(/ID\W+Client\W+Title/)
    expect(table.stdout).toContain('Contrato social atualizado')
    expect((await json(['requests', 'list', '--status', 'open', '--client', taxId])).map((r: { id: number }) => r.id)).toEqual([added.id])
    const shown = await json(['requests', 'show', String(added.id)])
    expect(shown.history.map((e: { action: string }) => e.action)).toEqual(['created'])
    const people = await confi(['requests', 'show', String(added.id)])
    expect(people.stdout).toMatch(/Title +Contrato social atualizado/)
    expect(people.stdout).toMatch(/created\W+cli:/)

    const closed = await json(['requests', 'close', String(added.id)])
    expect(closed.status).toBe('accepted')
    const reopened = await json(['requests', 'reopen', String(added.id), '--reason', 'Falta a página 2'])
    expect(reopened).toMatchObject({ status: 'open', rejection: { reason: 'Falta a página 2' }, mailedTo: [] })
    const note = await confi(['requests', 'reopen', String(added.id)])
    expect([note.code, note.stderr]).toEqual([1, `confi: request ${added.id} is open (waiting for the client): it cannot be reopened (only a received, answered or accepted one can)\n`])
    expect((await json(['requests', 'list', '--status', 'rejected'])).map((r: { id: number }) => r.id)).toEqual([added.id])
    expect((await json(['requests', 'cancel', String(added.id)])).status).toBe('cancelled')
    const again = await confi(['requests', 'cancel', String(added.id)])
    expect([again.code, again.stderr]).toEqual([1, `confi: request ${added.id} is cancelled: it cannot be cancelled\n`])
  })

  it('says nobody was e-mailed about a rejection when e-mail is not set up, yet records it', async () => {
    const request = await json(['requests', 'add', '--client', taxId, '--title', 'Extrato', '--due', '2026-12-10'])
    const user = await makeUser(t.db, { clientId, username: 'ana', role: 'admin', active: true, email: 'ana@padaria.com.br' })
    await answerNothingToSend(t.db, user.id, request.id, { origin: { ip: null, port: null, userAgent: null } })
    const result = await confi(['requests', 'reopen', String(request.id), '--reason', 'Houve compras'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`request ${request.id} is open again: Extrato`)
    expect(result.stderr).toMatch(/nobody was e-mailed: .*(SMTP|CONFI_SMTP_URL)/)
  })

  it('refuses bad input with exit 1 (a rule) or 2 (usage), creating nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [['requests', 'add', '--client', taxId, '--title', 'X', '--due', '2026-02-30'], 1, /^confi: due date '2026-02-30' is not valid/],
      [['requests', 'add', '--client', taxId, '--title', 'X', '--due', '2026-12-01', '--category', 'impostos'], 1, /^confi: unknown category 'impostos'/],
      [['requests', 'add', '--client', '00000000000000', '--title', 'X', '--due', '2026-12-01'], 1, /^confi: /],
      [['requests', 'add', '--client', taxId, '--title', 'X'], 2, /missing required option --due/],
      [['requests', 'list', '--status', 'perdido'], 1, /^confi: unknown request status 'perdido'/],
      [['requests', 'list', '--due-within', 'logo'], 1, /^confi: .*\(set by --due-within\)/],
      [['requests', 'show', 'abc'], 1, /^confi: 'abc' is not a request id/],
      [['requests', 'show', '4242'], 1, /^confi: no request with id 4242/],
      [['requests', 'template', 'add', '--client', taxId, '--all-clients', '--title', 'X', '--day', '5', '--category', 'fiscal'], 2, /either --client or --all-clients/],
      [['requests', 'template', 'add', '--title', 'X', '--day', '5', '--category', 'fiscal'], 2, /missing required option --client \(or --all-clients\)/],
      [['requests', 'template', 'add', '--all-clients', '--title', 'X', '--day', 'cinco', '--category', 'fiscal'], 2, /--day takes a whole number of at least 1, not 'cinco'/],
      [['requests', 'template', 'add', '--all-clients', '--title', 'X', '--day', '32', '--category', 'fiscal'], 1, /^confi: due day 32 is out of range/],
      [['requests', 'template', 'remove', '77'], 1, /^confi: no request template with id 77/],
      [['requests', 'generate', '--competence', '2026-13'], 1, /^confi: competence '2026-13' is not valid/],
    ]
    for (const [args, code, message] of cases) {
      const result = await confi(args)
      expect([result.code, result.stderr], args.join(' ')).toEqual([code, expect.stringMatching(message)])
    }
    expect(await t.db.selectFrom('requests').select('id').execute()).toEqual([])
    expect(await t.db.selectFrom('request_templates').select('id').execute()).toEqual([])
  })

  it('manages templates and generates each month once', async () => {
    const other = await makeClient(t.db, t.key, { name: 'Mercado' })
    const mine = await json(['requests', 'template', 'add', '--client', taxId, '--title', 'Extrato bancário', '--day', '5', '--category', 'contabil'])
    const all = await json(['requests', 'template', 'add', '--all-clients', '--title', 'Notas fiscais de entrada', '--day', '31', '--category', 'fiscal'])
    expect(all).toMatchObject({ clientId: null, dueDay: 31 })
    expect((await json(['requests', 'template', 'list'])).map((x: { id: number }) => x.id)).toEqual([mine.id, all.id])
    expect((await confi(['requests', 'template', 'list'])).stdout).toContain('(every client)')
    const first = await json(['requests', 'generate', '--competence', '2027-01'])
    expect(first.created.map((c: { clientId: number; dueDate: string }) => [c.clientId, c.dueDate])).toEqual([
      [clientId, '2027-02-05'],
      [clientId, '2027-02-28'],
      [other.id, '2027-02-28'],
    ])
    const second = await confi(['requests', 'generate', '--competence', '2027-01'])
    expect(second.stdout).toBe('made 0 requests for 2027-01; 3 already existed\n')
    expect((await json(['requests', 'template', 'remove', String(mine.id)])).id).toBe(mine.id)
    expect((await json(['requests', 'list', '--competence', '2027-01'])).length).toBe(3)
  })

  it(`makes each request once when two confi processes generate at the same time (${backend})`, { timeout: 300_000 }, async () => {
    for (let i = 0; i < 5; i++) await makeClient(t.db, t.key)
    await json(['requests', 'template', 'add', '--all-clients', '--title', 'Notas fiscais', '--day', '5', '--category', 'fiscal'])
    await json(['requests', 'template', 'add', '--all-clients', '--title', 'Extrato', '--day', '10', '--category', 'contabil'])
    const spawn = () => runConfi(['requests', 'generate', '--competence', '2026-11', '--json'], { env: t.env, cwd: t.dir })
    const runs = await Promise.all([spawn(), spawn()])
    for (const r of runs) expect(r.code, r.stderr).toBe(0)
    const made = runs.map((r) => JSON.parse(r.stdout).created.length)
    expect(made[0] + made[1]).toBe(12)
    expect(await t.db.selectFrom('requests').select('id').execute()).toHaveLength(12)
    expect(await t.db.selectFrom('request_events').select('id').execute()).toHaveLength(12)
  })
})

describe('confi reminders run and firm set for requests', () => {
  let smtp: TestSmtp
  beforeEach(async () => {
    smtp = await startTestSmtp()
  })
  afterEach(async () => {
    await smtp.close()
  })

  it('reminds open requests with the documents, and sets the inbox e-mail and upload limits', async () => {
    const set = await json(['firm', 'set', '--mail-from', 'Contabilidade <avisos@escritorio.com.br>', '--inbox-email', 'recebidos@escritorio.com.br', '--upload-max-mb', '40', '--upload-max-files', '10'])
    expect(set).toMatchObject({ inboxEmail: 'recebidos@escritorio.com.br', uploadMaxMb: 40, uploadMaxFiles: 10 })
    const shown = await confi(['firm', 'show'])
    expect(shown.stdout).toMatch(/Inbox e-mail +recebidos@escritorio.com.br\n/)
    expect(shown.stdout).toMatch(/Upload limits +40 MB a file, 10 files an upload\n/)
    const bad = await confi(['firm', 'set', '--upload-max-mb', '0'])
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--upload-max-mb takes a whole number of at least 1, not '0'/)])
    const tooMany = await confi(['firm', 'set', '--upload-max-files', '500'])
    expect([tooMany.code, tooMany.stderr]).toEqual([1, 'confi: files per upload 500 is out of range: use a whole number from 1 to 100\n'])
    const badInbox = await confi(['firm', 'set', '--inbox-email', 'recebidos'])
    expect(badInbox.code).toBe(1)

    await makeUser(t.db, { clientId, username: 'ana', role: 'admin', active: true, email: 'ana@padaria.com.br' })
    const request = await json(['requests', 'add', '--client', taxId, '--title', 'Extrato', '--due', addDays(localDate(), 1)])
    const env = { CONFI_SMTP_URL: smtp.url }
    const run = await json(['reminders', 'run'], env)
    expect(run.reminders).toEqual([])
    expect(run.requestReminders.map((r: { requestId: number; daysBefore: number; recipient: string }) => [r.requestId, r.daysBefore, r.recipient])).toEqual([
      [request.id, 1, 'ana@padaria.com.br'],
    ])
    expect((await json(['reminders', 'run'], env)).requestReminders).toEqual([])
    const people = await confi(['reminders', 'run', '--dry-run'], env)
    expect(people.stderr).toContain('no reminders due today')
    const outbox = await confi(['outbox', 'list'])
    expect(outbox.stdout).toMatch(/request_reminder\W+(\W+)?ana@padaria.com.br/)
  })
})

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeDocument } from '../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'

// docs/rules.md#data: an e-mail address typed on the command line is stored bare; pasted forms
// with angle brackets lose them, address lists and comments are refused (issue 19, §4).

const t = useTestDatabase({ firm: true })
let smtp: TestSmtp
beforeEach(async () => {
  smtp = await startTestSmtp({ auth: { user: 'avisos@escritorio.com.br', pass: 'SENHA-secreta' } })
})
afterEach(async () => {
  await smtp.close()
})

const confi = (args: string[]) => runCli(args, { env: { ...t.env, CONFI_SMTP_URL: smtp.url }, cwd: t.dir })

describe('e-mail addresses on the command line', () => {
  it("docs send --to '<evil@x.com>' queues the bare address; a list is refused", async () => {
    expect((await confi(['firm', 'set', '--mail-from', 'Contabilidade <avisos@escritorio.com.br>'])).code).toBe(0)
    const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
    const document = await makeDocument(t, client.id)
    const sent = await confi(['docs', 'send', String(document.id), '--channel', 'email', '--to', '<evil@x.com>'])
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(/^queued e-mail \d+ to evil@x\.com with /)
    const list = await confi(['docs', 'send', String(document.id), '--channel', 'email', '--to', 'a@x.com, <b@y.com>'])
    expect([list.code, list.stderr]).toEqual([1, "confi: 'a@x.com, <b@y.com>' is not a valid e-mail address: expected something like nome@empresa.com.br\n"])
    const recipients = await t.db.selectFrom('deliveries').select('recipient').execute()
    expect(recipients).toEqual([{ recipient: 'evil@x.com' }])
    expect((await t.db.selectFrom('outbox').select('recipient').execute()).map((r) => r.recipient)).toEqual(['evil@x.com'])
  })

  it('clients add --email and firm set --email store the bare address', async () => {
    const added = await confi(['clients', 'add', '--name', 'Oficina Ltda', '--tax-id', '11222333000181', '--email', 'Financeiro <fin@oficina.com.br>', '--json'])
    expect(added.code, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout).email).toBe('fin@oficina.com.br')
    const firm = await confi(['firm', 'set', '--email', '<contato@escritorio.com.br>', '--json'])
    expect(firm.code, firm.stderr).toBe(0)
    expect(JSON.parse(firm.stdout).contactEmail).toBe('contato@escritorio.com.br')
    const bad = await confi(['firm', 'set', '--email', 'contato@escritorio.com.br (Contato)'])
    expect(bad.code).toBe(1)
  })
})

// Issue 20 part 7 at the terminal: `docs paid`, `docs unpaid`, `docs pending --include-paid`, and
// the mark in `docs status`.
import { describe, expect, it } from 'vitest'
import { clientUser } from '../../src/core/actors.js'
import { markPaid } from '../../src/core/documents/payments.js'
import { addDays, localDate } from '../../src/core/time.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeDocument, makeUser } from '../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const confi = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })
const today = localDate()

async function guide() {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const doc = await makeDocument(t, client.id, { title: 'DAS', competence: today.slice(0, 7), dueDate: addDays(today, 2) })
  return { client, doc }
}

describe('confi docs paid / unpaid', () => {
  it('marks a guide paid (today by default), leaves it out of docs pending unless --include-paid, and takes the mark back', async () => {
    const { doc } = await guide()
    const pendingIds = async (...extra: string[]) =>
      JSON.parse((await confi(['docs', 'pending', '--json', ...extra])).stdout).map((p: { documentId: number; paidOn: string | null }) => [p.documentId, p.paidOn])
    expect(await pendingIds()).toEqual([[doc.id, null]])

    const paid = await confi(['docs', 'paid', String(doc.id)])
    expect([paid.code, paid.stderr]).toEqual([0, ''])
    expect(paid.stdout).toBe(`marked document ${doc.id} (DAS) paid on ${today}\n`)
    expect(await pendingIds()).toEqual([])
    expect(await pendingIds('--include-paid')).toEqual([[doc.id, today]])
    const table = await confi(['docs', 'pending', '--include-paid'])
    expect(table.stdout).toMatch(/Paid/)
    expect(table.stdout).toContain(today)
    const csv = await confi(['docs', 'pending', '--include-paid', '--format', 'csv'])
    expect(csv.stdout.split('\r\n')[0]).toMatch(/,last_reminder_at,paid_on$/)
    expect(csv.stdout.split('\r\n')[1]).toMatch(new RegExp(`,${today}$`))
    // Without --include-paid the CSV keeps its columns.
    expect((await confi(['docs', 'pending', '--format', 'csv'])).stdout.split('\r\n')[0]).toMatch(/,last_reminder_at$/)

    const status = await confi(['docs', 'status', String(doc.id)])
    expect(status.stdout).toMatch(new RegExp(`paid on ${today}: marked .* by cli:\\S+; no proof`))
    expect(JSON.parse((await confi(['docs', 'status', String(doc.id), '--json'])).stdout).payment).toMatchObject({ paidOn: today, user: null })

    const unpaid = await confi(['docs', 'unpaid', String(doc.id)])
    expect([unpaid.code, unpaid.stdout]).toEqual([0, `document ${doc.id} (DAS) is no longer marked paid\n`])
    expect(await pendingIds()).toEqual([[doc.id, null]])
    expect((await confi(['docs', 'status', String(doc.id)])).stdout).toContain('paid: not marked')
    const rows = await t.db.selectFrom('access_log').select(['kind', 'details']).where('kind', 'like', 'document.%paid').orderBy('id').execute()
    expect(rows).toEqual([
      { kind: 'document.paid', details: `{"by":"firm","paid_on":"${today}","proof_upload_id":null}` },
      { kind: 'document.unpaid', details: '{"by":"firm"}' },
    ])
  })

  it("prints --json and shows a client user's mark in docs status", async () => {
    const { client, doc } = await guide()
    const ana = await makeUser(t.db, { clientId: client.id, username: 'ana', name: 'Ana Souza', role: 'admin', active: true })
    await markPaid(t.db, clientUser(ana.id), doc.id, { paidOn: addDays(today, -1) })
    expect((await confi(['docs', 'status', String(doc.id)])).stdout).toMatch(
      new RegExp(`paid on ${addDays(today, -1)}: marked .* by ana \\(Ana Souza\\) in the portal; no proof`),
    )
    await confi(['docs', 'unpaid', String(doc.id)])
    const json = await confi(['docs', 'paid', String(doc.id), '--on', addDays(today, -2), '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ documentId: doc.id, paidOn: addDays(today, -2), user: null, proofUploadId: null })
  })

  it('refuses with exit 1 and a sentence: a future day, a bad date, a document without due date, twice, unpaid of nothing', async () => {
    const { client, doc } = await guide()
    const contract = await makeDocument(t, client.id, { title: 'Contrato', category: 'societario' })
    const refusal = async (args: string[]) => {
      const result = await confi(args)
      return [result.code, result.stdout, result.stderr]
    }
    expect(await refusal(['docs', 'paid', String(doc.id), '--on', addDays(today, 1)])).toEqual([
      1,
      '',
      `confi: payment date ${addDays(today, 1)} is in the future (today is ${today}): mark a guide paid once it is\n`,
    ])
    expect((await refusal(['docs', 'paid', String(doc.id), '--on', '18/12/2026']))[2]).toMatch(/^confi: payment date '18\/12\/2026' is not valid: use YYYY-MM-DD/)
    expect((await refusal(['docs', 'paid', String(contract.id)]))[2]).toMatch(/has no due date: only guides/)
    expect((await refusal(['docs', 'paid', '999999']))[0]).toBe(1)
    expect((await refusal(['docs', 'unpaid', String(doc.id)]))[2]).toBe(`confi: document ${doc.id} is not marked paid\n`)
    expect((await refusal(['docs', 'paid', String(doc.id), '--proof', 'x']))[0]).toBe(2)
    await confi(['docs', 'paid', String(doc.id)])
    expect((await refusal(['docs', 'paid', String(doc.id)]))[2]).toMatch(/is already marked paid on .*: unmark it first/)
    expect((await refusal(['docs', 'paid', String(doc.id), '--proof', '5']))[2]).toMatch(/upload 5 is not one of this company's uploads/)
  })
})

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { ACCOUNTANT, makeClient } from '../helpers/factories.js'
import { das, encryptedPdf, fgts, writeGuide } from '../helpers/guides.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'

const A = '11.222.333/0001-81'
const B = '45.723.174/0001-10'

const t = useTestDatabase({ firm: true })
beforeEach(async () => {
  await makeClient(t.db, t.key, { taxId: A, name: 'Alfa Ltda' })
  await makeClient(t.db, t.key, { taxId: B, name: 'Beta ME' })
  mkdirSync(join(t.dir, 'guias'))
})

const confi = (args: string[]) => runConfi(args, { env: t.env, cwd: t.dir })

const guides = async () => {
  await writeGuide(t.dir, 'guias/das.pdf', [das(A, { amount: 'R$ 1.234,56' })])
  await writeGuide(t.dir, 'guias/duas-empresas.pdf', [fgts(B), das('06.990.590/0001-23')])
  writeFileSync(join(t.dir, 'guias/protegido.pdf'), await encryptedPdf([das(A)]))
}

// Spawned commands take seconds each on a loaded shared machine: longer than one default timeout.
const SLOW = 180_000

describe('confi docs import', () => {
  it('previews, imports and reports duplicates on a re-run', async () => {
    await guides()
    const dry = await confi(['docs', 'import', 'guias', '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/guias\/das\.pdf\s+│ 1\s+│ 11\.222\.333\/0001-81 Alfa Ltda │ DAS 10\/2026\s+│ 10\/2026\s+│ 2026-11-20 │ R\$ 1\.234,56 │ added/)
    expect(dry.stderr).toMatch(/^dry run, nothing was written: 2 added, 1 queued, 1 unreadable\n$/)

    const run = await confi(['docs', 'import', 'guias', '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toBe('')
    const report = JSON.parse(run.stdout)
    expect(report.dryRun).toBe(false)
    expect(report.summary).toEqual({ added: 2, duplicate: 0, queued: 1, unreadable: 1, skipped: 0 })
    expect(report.rows.map((r: { pages: string; outcome: string }) => [r.pages, r.outcome])).toEqual([
      ['1', 'added'],
      ['1', 'added'],
      ['2', 'queued'],
      [null, 'unreadable'],
    ])
    const unknown = report.rows[2].queueItemId
    const locked = report.rows[3].queueItemId

    const again = await confi(['docs', 'import', 'guias'])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('2 duplicate, 1 queued, 1 unreadable')
    expect(again.stdout).toContain(`queued: no client with tax id 06.990.590/0001-23 (item ${unknown})`)
    expect(again.stdout).toContain(`unreadable: encrypted PDF (password protected) (queued as item ${locked})`)
  }, SLOW)

  it('shows amounts in docs list and show, and lists, assigns and drops queue items', async () => {
    await guides()
    const { importFiles } = await import('../../src/core/import/file.js')
    const { storeOf } = await import('../helpers/factories.js')
    await importFiles(t.db, storeOf(t), ACCOUNTANT, [join(t.dir, 'guias')])

    const list = await confi(['docs', 'list'])
    expect(list.stdout).toContain('R$ 1.234,56')
    const docs = JSON.parse((await confi(['docs', 'list', '--json'])).stdout)
    expect(docs.map((d: { amountCents: number }) => d.amountCents).sort()).toEqual([123456, 321000])
    expect((await confi(['docs', 'show', String(docs[0].id)])).stdout).toMatch(/Amount\s+R\$/)

    const items = JSON.parse((await confi(['docs', 'queue', 'list', '--json'])).stdout) as { id: number; fileName: string; storageKey?: string }[]
    expect(items.every((i) => i.storageKey === undefined)).toBe(true)
    const unknown = items.find((i) => i.fileName === 'duas-empresas-p2.pdf')!.id
    const locked = items.find((i) => i.fileName === 'protegido.pdf')!.id
    const queue = await confi(['docs', 'queue', 'list'])
    expect(queue.stdout).toContain('06.990.590/0001-23')
    const assign = await confi(['docs', 'queue', 'assign', String(unknown), '--client', A, '--title', 'DAS filial 10/2026'])
    expect(assign.code, assign.stderr).toBe(0)
    expect(assign.stdout).toMatch(/^filed queue item \d+ as document \d+ for 11\.222\.333\/0001-81 Alfa Ltda: DAS filial 10\/2026\n$/)
    expect((await confi(['docs', 'queue', 'drop', String(locked)])).stdout).toBe(`dropped queue item ${locked} (protegido.pdf, pages all)\n`)
    const missing = await confi(['docs', 'queue', 'drop', String(locked)])
    expect([missing.code, missing.stderr]).toEqual([1, `confi: no queue item ${locked}: see 'confi docs queue list'\n`])
  }, SLOW)

  it('exits 1 with one line when nothing could be read', async () => {
    writeFileSync(join(t.dir, 'guias/texto.pdf'), 'não é PDF')
    const result = await confi(['docs', 'import', 'guias'])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('unreadable: not a PDF (no %PDF header)')
    expect(result.stderr.trim().split('\n').at(-1)).toBe('confi: nothing could be read: none of the 1 files is a readable PDF (see the report above)')
    const empty = await confi(['docs', 'import', 'guias/nada'])
    expect(empty.code).toBe(1)
  }, SLOW)

  it('has help with an example for every command', async () => {
    for (const args of [['docs', 'import'], ['docs', 'queue', 'assign'], ['docs', 'queue', 'list'], ['docs', 'queue', 'drop']]) {
      expect((await confi([...args, '--help'])).stdout).toContain('Example')
    }
  }, SLOW)
})

describe('confi docs import --notify', () => {
  let smtp: TestSmtp
  beforeEach(async () => {
    smtp = await startTestSmtp()
  })
  afterEach(async () => smtp.close())
  const withSmtp = (args: string[]) => runConfi(args, { env: { ...t.env, CONFI_SMTP_URL: smtp.url }, cwd: t.dir })
  const filed = async () => ({
    documents: (await t.db.selectFrom('documents').select('id').execute()).length,
    queued: (await t.db.selectFrom('import_queue').select('id').execute()).length,
    outbox: (await t.db.selectFrom('outbox').select('id').execute()).length,
  })

  it('refuses with one line, filing nothing, until SMTP and the sender are set', async () => {
    await guides()
    const noSmtp = await confi(['docs', 'import', 'guias', '--notify'])
    expect([noSmtp.code, noSmtp.stderr]).toEqual([1, expect.stringMatching(/^confi: e-mail is not configured: set CONFI_SMTP_URL[^\n]+\n$/)])
    const noFrom = await withSmtp(['docs', 'import', 'guias', '--notify', '--dry-run'])
    expect([noFrom.code, noFrom.stderr]).toEqual([1, expect.stringMatching(/^confi: set the sender of the firm's e-mails first: confi firm set --mail-from[^\n]+\n$/)])
    expect(await filed()).toEqual({ documents: 0, queued: 0, outbox: 0 })
  }, SLOW)

  it("queues one e-mail per new document to the client's people and sends it; a re-run sends nothing", async () => {
    await guides()
    const { makeUser } = await import('../helpers/factories.js')
    const ids = await t.db.selectFrom('clients').select(['id', 'tax_id']).orderBy('id').execute()
    await makeUser(t.db, { clientId: Number(ids[0].id), email: 'ana@alfa.com.br', role: 'admin', active: true })
    await makeUser(t.db, { clientId: Number(ids[1].id), email: 'bia@beta.com.br', role: 'admin', active: true })
    await makeUser(t.db, { clientId: Number(ids[1].id), email: 'ex@beta.com.br', role: 'admin', active: false })
    expect((await confi(['firm', 'set', '--mail-from', 'Contabilidade Exemplo <avisos@escritorio.com.br>'])).code).toBe(0)

    const run = await withSmtp(['docs', 'import', 'guias', '--notify', '--json'])
    expect(run.code, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout)
    expect([report.summary.added, report.notified]).toEqual([2, 2])
    expect(await filed()).toEqual({ documents: 2, queued: 2, outbox: 2 })
    const sent = await withSmtp(['outbox', 'run'])
    expect([sent.code, sent.stdout]).toEqual([0, 'sent 2, queued 0, failed 0\n'])
    const mails = smtp.messages.map((m) => [[m.to].flat()[0]?.text, m.subject]).sort()
    expect(mails).toEqual([
      ['ana@alfa.com.br', expect.stringMatching(/^DAS 10\/2026 – Alfa Ltda/)],
      ['bia@beta.com.br', expect.stringMatching(/Beta ME/)],
    ])
    const alfa = smtp.messages.find((m) => m.subject?.includes('Alfa Ltda'))
    expect(alfa?.text).toMatch(/Valor: R\$ 1\.234,56\n[\s\S]*http:\/\/localhost:3000\/documents\/\d+/)

    const again = await withSmtp(['docs', 'import', 'guias', '--notify'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain('2 duplicate')
    expect(again.stderr).toContain('queued 0 notification e-mails')
    expect((await filed()).outbox).toBe(2)

    const item = report.rows.find((r: { outcome: string }) => r.outcome === 'queued').queueItemId
    const assign = await withSmtp(['docs', 'queue', 'assign', String(item), '--client', A, '--title', 'DAS filial', '--notify'])
    expect([assign.code, assign.stderr]).toEqual([0, 'queued 1 notification e-mail\n'])
    expect((await withSmtp(['outbox', 'run'])).stdout).toBe('sent 1, queued 0, failed 0\n')
    expect(smtp.messages.at(-1)?.subject).toMatch(/^DAS filial – Alfa Ltda/)
  }, SLOW)
})

describe('progress line', () => {
  async function inProcess(args: string[], tty: boolean) {
    const { PassThrough } = await import('node:stream')
    const { run } = await import('../../src/cli/main.js')
    const collect = (isTTY: boolean) => {
      const stream = Object.assign(new PassThrough(), { isTTY, text: '' })
      stream.on('data', (d: Buffer) => (stream.text += d.toString()))
      return stream
    }
    const stdout = collect(false)
    const stderr = collect(tty)
    const code = await run(args, { env: { ...t.env, NO_COLOR: '1' }, cwd: t.dir, stdin: new PassThrough(), stdout, stderr, actor: 'cli:test' })
    return { code, stdout: stdout.text, stderr: stderr.text }
  }

  it('is written to stderr on a terminal only, never to stdout nor with --json', async () => {
    await writeGuide(t.dir, 'guias/a.pdf', [das(A)])
    await writeGuide(t.dir, 'guias/b.pdf', [das(B)])
    const tty = await inProcess(['docs', 'import', 'guias', '--dry-run'], true)
    expect(tty.code).toBe(0)
    expect(tty.stderr).toMatch(/\r\x1b\[K1\/2 files · [\d.]+ pages\/s · \d+ s left/)
    expect(tty.stderr).toMatch(/2\/2 files/)
    expect(tty.stdout).not.toContain('files ·')
    const json = await inProcess(['docs', 'import', 'guias', '--dry-run', '--json'], true)
    expect(json.stderr).toBe('')
    const pipe = await inProcess(['docs', 'import', 'guias', '--dry-run'], false)
    expect(pipe.stderr).not.toContain('files ·')
  })
})

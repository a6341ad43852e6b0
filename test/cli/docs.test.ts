import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../src/core/access-log/chain/append.js'
import { confiBin, runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { fillAccessLog } from '../helpers/access-log.js'
import { makeClient, writeTestFile } from '../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let taxId: string
beforeEach(async () => {
  taxId = (await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })).taxId
})

const confi = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })

async function addDoc(): Promise<number> {
  writeTestFile(t.dir, 'das.pdf', '%PDF-1.4 das')
  const result = await confi(['docs', 'add', '--client', taxId, '--title', 'DAS 10/2026', '--category', 'fiscal', '--competence', '2026-10', '--due', '2026-11-20', 'das.pdf', '--json'])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout).id
}

describe('confi docs', () => {
  it('adds, lists, shows, sends and revokes', async () => {
    const id = await addDoc()
    const list = await confi(['docs', 'list', '--client', taxId, '--json'])
    expect(JSON.parse(list.stdout)).toMatchObject([{ id, title: 'DAS 10/2026', competence: '2026-10', attachments: [{ fileName: 'das.pdf', mediaType: 'application/pdf' }] }])
    const send = await confi(['docs', 'send', String(id), '--channel', 'link', '--to', 'financeiro@cliente.com.br', '--expires', '30d'])
    expect(send.code, send.stderr).toBe(0)
    expect(send.stdout).toMatch(/^http:\/\/localhost:3000\/d\/[A-Za-z0-9_-]{43}\n$/)
    expect(send.stderr).toMatch(/delivery 1 \(link to financeiro@cliente.com.br, expires/)
    const show = await confi(['docs', 'show', String(id), '--json'])
    expect(JSON.parse(show.stdout).deliveries).toMatchObject([{ id: 1, status: 'active', url: send.stdout.trim() }])
    expect((await confi(['docs', 'revoke', '1'])).stdout).toBe('revoked delivery 1 of document 1\n')
    const again = await confi(['docs', 'revoke', '1'])
    expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/^confi: delivery 1 was already revoked/)])
  })

  it('says what is wrong with bad input and how to fix it (exit 1), and writes nothing', async () => {
    writeTestFile(t.dir, 'ok.pdf', '%PDF ok')
    writeFileSync(join(t.dir, 'empty.pdf'), '')
    mkdirSync(join(t.dir, 'pasta'))
    const add = (...args: string[]) => confi(['docs', 'add', '--client', taxId, '--title', 'T', '--category', 'fiscal', ...args])
    const cases: [Promise<{ code: number; stderr: string }>, RegExp][] = [
      [confi(['docs', 'add', '--client', '99.999.999/9999-99', '--title', 'T', '--category', 'fiscal', 'ok.pdf']), /no client/],
      [add('--category', 'impostos', 'ok.pdf'), /unknown category 'impostos': use one of fiscal/],
      [add('--competence', '2026-13', 'ok.pdf'), /competence '2026-13' is not valid: use YYYY-MM/],
      [add('--due', '2026-02-30', 'ok.pdf'), /due date '2026-02-30' is not valid/],
      [add('missing.pdf'), /missing.pdf does not exist: check the path/],
      [add('pasta'), /pasta is a directory/],
      [add('empty.pdf'), /empty.pdf is empty/],
      [add('ok.pdf', 'missing.pdf'), /missing.pdf does not exist/],
      [confi(['docs', 'show', '42']), /no document with id 42/],
      [confi(['docs', 'send', '42', '--channel', 'link']), /no document with id 42/],
      [confi(['docs', 'revoke', '42']), /no delivery with id 42/],
      [confi(['docs', 'log', '--output', join(t.dir, 'nope', 'x.csv')]), /cannot write the output file .*nope.*does not exist.*\(set by --output\)/],
      [confi(['docs', 'log', '--state', join(t.dir, 'nope', 'state')]), /cannot write the state file .*\(set by --state\)/],
      [confi(['docs', 'log', '--since', 'ontem']), /--since 'ontem' is not a date or time/],
    ]
    for (const [run, message] of cases) {
      const result = await run
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toMatch(new RegExp(`^confi: .*${message.source}`))
    }
    expect(await t.db.selectFrom('documents').selectAll().execute()).toEqual([])
    writeFileSync(join(t.dir, 'bad.state'), '{oops')
    const corrupt = await confi(['docs', 'log', '--state', 'bad.state'])
    expect([corrupt.code, corrupt.stderr]).toEqual([1, expect.stringMatching(/state file .*bad.state is corrupt/)])
    expect(readFileSync(join(t.dir, 'bad.state'), 'utf8')).toBe('{oops')
  })

  it('usage errors exit 2', async () => {
    expect((await confi(['docs', 'send', '1'])).code).toBe(2)
    expect((await confi(['docs', 'log', '--format', 'xml'])).code).toBe(2)
    expect((await confi(['docs', 'log', '--state', 's', '--after-id', '3'])).code).toBe(2)
    const help = await confi(['docs', 'send', '--help'])
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('Example:')])
  })

  it('verifies the chain and exports it', async () => {
    const id = await addDoc()
    const client = await t.db.selectFrom('clients').select('id').executeTakeFirstOrThrow()
    for (let i = 0; i < 3; i++) await recordAccess(t.db, { documentId: id, clientId: client.id, channel: 'portal', action: 'view', userAgent: `a,${i}` })
    // The document's document.published row (row 1) and the 3 views.
    expect((await confi(['docs', 'verify'])).stdout).toBe("access log intact: 4 rows; no checkpoint yet: 'confi docs checkpoint' signs one\n")
    const csv = await confi(['docs', 'log', '--format', 'csv'])
    expect(csv.stdout.split('\r\n').slice(0, 3)).toEqual([
      'id,at,client_tax_id,client_name,document_id,document_title,attachment,channel,username,user_name,ip,user_agent,action,hash',
      expect.stringMatching(new RegExp(`^1,\\d{4}-.*Z,${taxId},Padaria Pão Quente Ltda,${id},DAS 10/2026,,,,,,,document.published,[0-9a-f]{64}$`)),
      expect.stringMatching(new RegExp(`^2,\\d{4}-.*Z,${taxId},Padaria Pão Quente Ltda,${id},DAS 10/2026,,portal,,,,"a,0",view,[0-9a-f]{64}$`)),
    ])
    const out = await confi(['docs', 'log', '--format', 'csv', '--output', 'acessos.csv', '--since', '2000-01-01'])
    expect(out.stderr).toMatch(/exported 4 rows to .*acessos.csv/)
    expect(readFileSync(join(t.dir, 'acessos.csv'), 'utf8')).toBe(csv.stdout)
    // A personal value edited beside its row (access_log_personal): its commitment names it.
    await t.db.updateTable('access_log_personal').set({ user_agent: 'a,9' }).where('id', '=', 3).execute()
    const edited = await confi(['docs', 'verify'])
    expect([edited.code, edited.stderr]).toEqual([1, expect.stringMatching(/^confi: access log broken at row 3: its user_agent does not match its commitment/)])
  })

  it('two overlapping --state runs: the second refuses and every row is exported once', async () => {
    const id = await addDoc()
    const client = await t.db.selectFrom('clients').select('id').executeTakeFirstOrThrow()
    // With the document's document.published row (row 1): 20,000 rows.
    await fillAccessLog(t, 19_999, { documentId: id, clientId: client.id })
    const out = join(t.dir, 'ov.csv')
    const statePath = join(t.dir, 'ov.state')
    const args = ['docs', 'log', '--format', 'csv', '--state', statePath]
    // The first run writes into a pipe this test stops reading: it blocks mid-export, holding
    // the state, for as long as the second run needs.
    const first = spawn(process.execPath, [confiBin, ...args], { env: { ...process.env, ...t.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    await new Promise((resolve) => first.stdout.once('data', (chunk: Buffer) => resolve(chunks.push(chunk))))
    first.stdout.pause()
    const fd = openSync(out, 'a')
    const second = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [confiBin, ...args], { env: { ...process.env, ...t.env }, stdio: ['ignore', fd, 'pipe'] })
      let stderr = ''
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.once('close', (code) => resolve({ code: code ?? -1, stderr }))
    })
    closeSync(fd)
    expect(second).toEqual({
      code: 1,
      stderr: `confi: another export is using the state file ${statePath} (pid ${first.pid}); try again when it finishes (set by --state)\n`,
    })
    first.stdout.on('data', (chunk: Buffer) => chunks.push(chunk)).resume()
    const firstCode = await new Promise((resolve) => first.once('close', resolve))
    expect(firstCode).toBe(0)
    writeFileSync(out, Buffer.concat([readFileSync(out), ...chunks]))
    const next = await confi(args)
    expect([next.code, next.stdout]).toEqual([0, ''])
    const lines = readFileSync(out, 'utf8').split('\r\n').filter(Boolean)
    expect(lines[0]).toMatch(/^id,at,/)
    const ids = lines.slice(1).map((l) => Number(l.split(',')[0]))
    expect(ids.length).toBe(20_000)
    expect(ids.every((v, i) => v === i + 1)).toBe(true)
    expect(existsSync(`${statePath}.lock`)).toBe(false)
  }, 120_000)

  it('--state recovers a lock left by a dead export', async () => {
    await addDoc()
    const statePath = join(t.dir, 'export.state')
    // A pid that is certainly not running: spawn a process and wait for it to end.
    const pid = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', ''])
      child.once('exit', () => resolve(child.pid ?? 0))
    })
    writeFileSync(`${statePath}.lock`, JSON.stringify({ pid, started_at: '2026-01-01T00:00:00.000Z' }))
    const result = await confi(['docs', 'log', '--format', 'ndjson', '--state', statePath])
    expect([result.code, result.stderr]).toEqual([0, ''])
    expect(existsSync(`${statePath}.lock`)).toBe(false)
  })

  it('--state resumes after a kill without losing or repeating a row', async () => {
    const id = await addDoc()
    const client = await t.db.selectFrom('clients').select('id').executeTakeFirstOrThrow()
    // With the document's document.published row (row 1): 150,000 rows.
    await fillAccessLog(t, 149_999, { documentId: id, clientId: client.id })
    const out = join(t.dir, 'acessos.ndjson')
    const statePath = join(t.dir, 'export.state')
    let killed = false
    // Kill the export (SIGKILL) once some rows are in the file; retry if it finished too fast.
    for (let attempt = 0; attempt < 5 && !killed; attempt++) {
      const fd = openSync(out, 'a')
      const child = spawn(process.execPath, [confiBin, 'docs', 'log', '--format', 'ndjson', '--state', statePath], {
        env: { ...process.env, ...t.env },
        stdio: ['ignore', fd, 'inherit'],
      })
      closeSync(fd)
      const exited = new Promise((resolve) => child.once('exit', resolve))
      for (;;) {
        const size = existsSync(out) ? statSync(out).size : 0
        if (size > 200_000 || child.exitCode !== null) break
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      killed = child.exitCode === null && child.kill('SIGKILL')
      await exited
      if (!killed) writeFileSync(out, '')
      if (!killed) writeFileSync(statePath, JSON.stringify({ version: 1, last_id: 0 }))
    }
    expect(killed).toBe(true)
    const fd = openSync(out, 'a')
    const resumed = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [confiBin, 'docs', 'log', '--format', 'ndjson', '--state', statePath], {
        env: { ...process.env, ...t.env },
        stdio: ['ignore', fd, 'inherit'],
      })
      child.once('exit', (code) => resolve(code ?? -1))
    })
    closeSync(fd)
    expect(resumed).toBe(0)
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean)
    const ids = lines.map((l) => JSON.parse(l).id as number)
    expect(ids.length).toBe(150_000)
    expect(ids.every((v, i) => v === i + 1)).toBe(true)
    expect(JSON.parse(readFileSync(statePath, 'utf8')).last_id).toBe(150_000)
  }, 180_000)
})

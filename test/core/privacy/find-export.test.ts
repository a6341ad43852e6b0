import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { appendInTransaction, recordAccess } from '../../../src/core/access-log/chain/append.js'
import { createDelivery } from '../../../src/core/delivery/deliveries.js'
import { createPasswordReset } from '../../../src/core/identity/password-resets.js'
import { createSession } from '../../../src/core/identity/sessions.js'
import { enqueueMail } from '../../../src/core/mail/outbox.js'
import { findPerson, resolvePerson } from '../../../src/core/privacy/index.js'
import { nowIso } from '../../../src/core/time.js'
import '../../../src/core/uploads/log-kinds.js'
import { runCli } from '../../helpers/cli.js'
import { useTestDatabase, type TestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const confi = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })

const CPF = '52998224725'
const OTHER_CPF = '11144477735'

/** Two people with look-alike usernames and addresses, each in every place, and a client that is a person (CPF). */
async function twoPeople(t: TestDatabase) {
  const company = await makeClient(t.db, t.key)
  const ana = await makeUser(t.db, { clientId: company.id, username: 'ana.souza', name: 'Ana Souza', email: 'Ana@Empresa.com.br', role: 'admin', active: true })
  const other = await makeUser(t.db, { clientId: company.id, username: 'ana.souza2', name: 'Ana Souza Lima', email: 'ana.souza@empresa.com.br', role: 'collaborator', active: true })
  const person = await makeClient(t.db, t.key, { taxId: CPF, name: 'Carlos Pereira' })
  const doc = await makeDocument(t, company.id)
  await makeDocument(t, person.id)
  const policy = { idleMinutes: 60, absoluteHours: 12 }
  for (const [user, ip] of [[ana, '198.51.100.7'], [other, '198.51.100.8']] as const) {
    await createPasswordReset(t.db, ACCOUNTANT, user.id)
    // After the reset, which ends the account's sessions.
    await createSession(t.db, { userId: user.id, scope: 'area', ip, userAgent: `UA ${user.username}` }, policy)
    const base = { documentId: doc.id, clientId: company.id, user: { id: user.id, username: user.username, name: user.name }, channel: 'portal' as const, ip, port: 4000, userAgent: `UA ${user.username}`, action: 'view' as const }
    await recordAccess(t.db, base, { format: 1 })
    await recordAccess(t.db, base, { format: 2 })
    await recordAccess(t.db, { ...base, action: 'download' }, { format: 2 })
  }
  // An e-mail delivery to each address (different case for Ana's), opened without logging in.
  const mailed = await createDelivery(t.db, t.key, ACCOUNTANT, { documentId: doc.id, channel: 'email', recipient: 'ana@empresa.COM.BR' })
  const theirs = await createDelivery(t.db, t.key, ACCOUNTANT, { documentId: doc.id, channel: 'email', recipient: 'ana.souza@empresa.com.br' })
  for (const d of [mailed, theirs]) {
    await recordAccess(t.db, { documentId: doc.id, clientId: company.id, channel: 'email', deliveryId: d.delivery.id, ip: '203.0.113.9', userAgent: 'Mail', action: 'view' }, { format: 2 })
  }
  const firm = { mailFrom: 'escritorio@contab.com.br' }
  for (const recipient of ['ana@empresa.com.br', 'ana.souza@empresa.com.br']) {
    await t.db.transaction().execute((trx) =>
      enqueueMail(trx, { kind: 'delivery', documentId: doc.id, deliveryId: null, recipient, mailFrom: firm.mailFrom, messageId: `<${recipient}@x>`, subject: 'Documento', text: 'Olá', html: '<p>Olá</p>', createdBy: 'cli:test' }),
    )
  }
  // Terms (schema version 11), 2FA, an upload with an NF-e to the CPF, a paid mark: rows as their owners write them.
  const terms = await t.db.insertInto('terms_versions').values({ sha256: 'a'.repeat(64), body: '# Termos', source_name: 'termos.md', published_at: nowIso(), published_by: 'cli:test' }).returning('id').executeTakeFirstOrThrow()
  for (const user of [ana, other]) {
    await t.db.insertInto('terms_acceptances').values({ user_id: user.id, terms_id: Number(terms.id), accepted_at: nowIso(), log_id: null }).execute()
    await t.db.insertInto('two_factor').values({ user_id: user.id, secret_sealed: 'sealed-secret', enabled_at: nowIso() }).execute()
    await t.db.insertInto('recovery_codes').values({ user_id: user.id, code_hash: 'hash-of-code', used_at: null }).execute()
    const upload = await t.db.insertInto('uploads').values({ client_id: company.id, request_id: null, user_id: user.id, category: 'fiscal', note: null, status: 'received', status_note: null, status_at: null, status_by: null, log_id: null, created_at: nowIso() }).returning('id').executeTakeFirstOrThrow()
    const recipient = user === ana ? CPF : OTHER_CPF
    const fiscal = JSON.stringify({ key: '1'.repeat(44), model: 'nfe', issuer: '11222333000181', recipient, issued_on: '2026-01-02', total_cents: 100 })
    await t.db.insertInto('upload_files').values({ upload_id: Number(upload.id), file_name: 'nota.xml', media_type: 'application/xml', size: 10, sha256: 'b'.repeat(64), storage_key: 'k', fiscal, note: null }).execute()
    await t.db.transaction().execute((trx) =>
      appendInTransaction(trx, [{ kind: 'upload.received', clientId: company.id, user: { id: user.id, username: user.username, name: user.name }, channel: 'portal', ip: '198.51.100.1', port: 1, userAgent: 'UA', details: { upload_id: Number(upload.id) } }]),
    )
  }
  return { company, ana, other, person, doc, mailed: mailed.delivery.id, theirs: theirs.delivery.id }
}

const countsOf = async (key: 'user' | 'email' | 'cpf', value: string) => {
  const found = await findPerson(t.db, await resolvePerson(t.db, key, value))
  return Object.fromEntries(found.map((f) => [f.name, f.rows]))
}

describe('privacy find', () => {
  it('finds the user in every place, and nothing of a look-alike', async () => {
    await twoPeople(t)
    const counts = await countsOf('user', 'ana.souza')
    expect(counts).toMatchObject({
      account: 1, employer: 1, client_cpf: 0, sessions: 1, password_resets: 1, two_factor: 1, recovery_codes: 1,
      terms_acceptances: 1, uploads: 1, upload_files: 1, deliveries: 1, outbox: 1,
      // 3 accesses + upload.received by the account, and the one access through the delivery to her address.
      log: 5,
    })
    expect(counts.events).toBeGreaterThanOrEqual(1)
    const found = await findPerson(t.db, await resolvePerson(t.db, 'user', 'ana.souza'))
    expect(found.find((f) => f.name === 'log')).toMatchObject({ format1: 1 })
    // By id too.
    const byId = await countsOf('user', String((await resolvePerson(t.db, 'user', 'ana.souza')).userIds[0]))
    expect(byId).toEqual(counts)
  })

  it('finds by e-mail in any case, and by CPF where a CPF can be', async () => {
    const { ana } = await twoPeople(t)
    const byEmail = await countsOf('email', 'ANA@empresa.com.br')
    expect(byEmail).toMatchObject({ account: 1, deliveries: 1, outbox: 1, sessions: 1, log: 5 })
    expect((await resolvePerson(t.db, 'email', 'ana@empresa.com.br')).userIds).toEqual([ana.id])
    const byCpf = await countsOf('cpf', '529.982.247-25')
    expect(byCpf).toMatchObject({ client_cpf: 1, documents_cpf: 1, upload_files: 1, account: 0, log: 0, outbox: 0 })
  })

  it('prints counts with first and last dates, and JSON for scripts', async () => {
    await twoPeople(t)
    const table = await confi(['privacy', 'find', '--user', 'ana.souza'])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/log\s+│ access_log \+ access_log_personal │ 5 \(1 format 1\)/)
    expect(table.stdout).not.toMatch(/198\.51\.100/)
    const json = await confi(['privacy', 'find', '--email', 'ana@empresa.com.br', '--json'])
    expect(json.code, json.stderr).toBe(0)
    const parsed = JSON.parse(json.stdout)
    expect(parsed.places.find((p: { name: string }) => p.name === 'log')).toMatchObject({ rows: 5, format1: 1 })
  })

  it('refuses an unknown user, two keys, no key and a bad CPF', async () => {
    await twoPeople(t)
    const unknown = await confi(['privacy', 'find', '--user', 'ana.sou'])
    expect(unknown).toMatchObject({ code: 1, stdout: '' })
    expect(unknown.stderr).toMatch(/^confi: no user 'ana.sou'/)
    const both = await confi(['privacy', 'find', '--user', 'ana.souza', '--email', 'ana@empresa.com.br'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/give only one of --user, --email, --cpf/)
    expect((await confi(['privacy', 'find'])).code).toBe(2)
    const badCpf = await confi(['privacy', 'find', '--cpf', '529.982.247-26'])
    expect(badCpf.code).toBe(1)
    expect(badCpf.stderr).toMatch(/not a valid CPF: the check digits do not match/)
    const cnpj = await confi(['privacy', 'find', '--cpf', '11.222.333/0001-81'])
    expect(cnpj.stderr).toMatch(/is a CNPJ/)
    const email = await confi(['privacy', 'find', '--email', 'not-an-address'])
    expect(email.code).toBe(1)
  })
})

function unzipEntry(zip: string, name: string): string {
  return execFileSync('unzip', ['-p', zip, name], { encoding: 'utf8', maxBuffer: 1 << 28 })
}

describe('privacy export', () => {
  it('writes dados.json with every place and log values whose salts verify the commitments, and resumo.html', async () => {
    const { ana, other } = await twoPeople(t)
    const result = await confi(['privacy', 'export', '--user', 'ana.souza', '--output', 'ana.zip'])
    expect(result.code, result.stderr).toBe(0)
    const zip = join(t.dir, 'ana.zip')
    const listing = execFileSync('unzip', ['-l', zip], { encoding: 'utf8' })
    expect(listing).toMatch(/resumo\.html/)
    expect(listing).toMatch(/dados\.json/)
    const data = JSON.parse(unzipEntry(zip, 'dados.json'))
    expect(data).toMatchObject({ format: 'confi.privacy-export/1', subject: { key: 'user', value: 'ana.souza' }, firm: 'Contabilidade Teste' })
    expect(data.places.account.rows).toHaveLength(1)
    expect(data.places.account.rows[0]).toMatchObject({ id: ana.id, username: 'ana.souza', email: 'Ana@Empresa.com.br' })
    expect(data.places.account.rows[0]).not.toHaveProperty('password_hash')
    expect(data.places.sessions.rows[0]).toMatchObject({ ip: '198.51.100.7', user_agent: 'UA ana.souza' })
    expect(data.places.sessions.rows[0]).not.toHaveProperty('token_hash')
    expect(data.places.two_factor.rows[0]).not.toHaveProperty('secret_sealed')
    expect(data.places.recovery_codes.rows[0]).not.toHaveProperty('code_hash')
    expect(data.places.terms_acceptances.rows).toHaveLength(1)
    expect(data.places.outbox.rows.map((r: { recipient: string }) => r.recipient)).toEqual(['ana@empresa.com.br'])
    const text = JSON.stringify(data)
    expect(text).not.toContain('ana.souza2')
    expect(text).not.toContain('198.51.100.8')
    expect(text).not.toContain(String(other.email))
    const log = data.places.log.rows as { id: number; row: Record<string, string | number | null> }[]
    expect(log).toHaveLength(5)
    expect(data.counts.log).toBe(5)
    let checked = 0
    for (const { row } of log) {
      if (row.format !== 2) {
        expect(row.username).toBe('ana.souza')
        continue
      }
      for (const field of ['username', 'user_name', 'ip', 'port', 'user_agent', 'recipient']) {
        const value = row[field]
        if (value === null) {
          expect(row[`${field}_commitment`]).toBeNull()
          continue
        }
        const digest = createHash('sha256').update(Buffer.from(String(row[`${field}_salt`]), 'hex')).update(String(value), 'utf8').digest('hex')
        expect(digest).toBe(row[`${field}_commitment`])
        checked++
      }
    }
    expect(checked).toBeGreaterThan(10)
    const html = unzipEntry(zip, 'resumo.html')
    expect(html).toMatch(/<html lang="pt-BR">/)
    expect(html).toMatch(/Seus dados em Contabilidade Teste/)
    expect(html).not.toMatch(/<script/)
    expect(html).toMatch(/Registro de acessos e ações/)
  })

  it('escapes stored text in resumo.html', async () => {
    const company = await makeClient(t.db, t.key)
    await makeUser(t.db, { clientId: company.id, username: 'eve', name: '<script>alert(1)</script>', email: 'eve@x.com.br' })
    expect((await confi(['privacy', 'export', '--email', 'eve@x.com.br', '--output', 'eve.zip'])).code).toBe(0)
    const html = unzipEntry(join(t.dir, 'eve.zip'), 'resumo.html')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).not.toContain('<script>')
  })

  it('never replaces a file, refuses a missing folder and a CPF, and leaves nothing behind', async () => {
    await twoPeople(t)
    writeFileSync(join(t.dir, 'taken.zip'), 'mine')
    const taken = await confi(['privacy', 'export', '--user', 'ana.souza', '--output', 'taken.zip'])
    expect(taken.code).toBe(1)
    expect(taken.stderr).toMatch(/taken\.zip already exists/)
    expect(readFileSync(join(t.dir, 'taken.zip'), 'utf8')).toBe('mine')
    const missing = await confi(['privacy', 'export', '--user', 'ana.souza', '--output', 'nope/ana.zip'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/does not exist/)
    expect((await confi(['privacy', 'export', '--cpf', CPF, '--output', 'x.zip'])).code).toBe(2)
    expect((await confi(['privacy', 'export', '--user', 'ana.souza', '--email', 'ana@empresa.com.br', '--output', 'x.zip'])).code).toBe(2)
    const unknown = await confi(['privacy', 'export', '--user', 'nobody', '--output', 'x.zip'])
    expect(unknown.code).toBe(1)
    expect(readdirSync(t.dir).filter((f) => f.includes('.zip'))).toEqual(['taken.zip'])
    mkdirSync(join(t.dir, 'out'))
    expect(existsSync(join(t.dir, 'out', 'x.zip'))).toBe(false)
  })
})

import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { sql } from 'kysely'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { exportAccessLog } from '../../../src/core/access-log/export/export.js'
import { walkAccessLog } from '../../../src/core/access-log/verify/verify.js'
import { accountant, clientUser } from '../../../src/core/actors.js'
import { recordEvent } from '../../../src/core/audit/events.js'
import { backendOf } from '../../../src/core/db/database.js'
import { NotFoundError } from '../../../src/core/errors.js'
import { createSession } from '../../../src/core/identity/sessions.js'
import { backupDatabase } from '../../../src/core/ops/backup.js'
import { erasePerson } from '../../../src/core/privacy/erasure.js'
import { loadSigningKeys, type SigningKeys } from '../../../src/core/proof/keys.js'
import { verifyLogWithCheckpoints } from '../../../src/core/proof/checkpoints.js'
import { issueReceipt, recheckReceipt, verifyReceipt } from '../../../src/core/proof/receipts.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeDocument, makeUser } from '../../helpers/factories.js'
import { findText } from '../../helpers/text-search.js'

const t = useTestDatabase({ firm: true })
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'
const FIRM = accountant('cli:test')

const NAME = 'Bruno Lima Erasmo'
const USERNAME = 'bruno.lima'
const EMAIL = 'bruno.lima@exemplo-apagar.com.br'
const IP = '198.51.100.77'
const LINK_IP = '198.51.100.78'
const AGENT = 'UniqueAgent/9.9 (erase-test)'
const NEEDLES = [NAME, USERNAME, EMAIL, IP, LINK_IP, AGENT]

let keys: SigningKeys
let clientId: number
let documentId: number
let userId: number

// A person present everywhere confi keeps people: accesses (portal and an e-mail link), a
// session, a throttle key, messages to them and about them, an upload note, a request event,
// the audit, an activation label, a receipt.
async function seedPerson(): Promise<void> {
  keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
  clientId = (await makeClient(t.db, t.key)).id
  const doc = await makeDocument(t, clientId)
  documentId = doc.id
  const user = await makeUser(t.db, { clientId, username: USERNAME, name: NAME, email: EMAIL, role: 'admin', active: true })
  userId = user.id
  const other = await makeUser(t.db, { clientId, username: 'carla.dias', name: 'Carla Dias', role: 'collaborator', active: true })
  const asUser = { id: user.id, username: USERNAME, name: NAME }
  await recordAccess(t.db, { documentId, clientId, channel: 'portal', action: 'view', ip: IP, port: 443, userAgent: AGENT, user: asUser })
  const delivery = await t.db
    .insertInto('deliveries')
    .values({ document_id: documentId, channel: 'email', recipient: EMAIL, token_digest: 'd'.repeat(64), created_at: '2026-11-01T00:00:00.000Z', created_by: 'cli:test' })
    .returning('id')
    .executeTakeFirstOrThrow()
  await recordAccess(t.db, { documentId, clientId, channel: 'email', action: 'download', deliveryId: Number(delivery.id), attachmentId: doc.attachments[0].id, ip: LINK_IP, userAgent: AGENT })
  await recordAccess(t.db, { documentId, clientId, channel: 'portal', action: 'view', ip: '192.0.2.1', userAgent: 'OtherAgent', user: { id: other.id, username: 'carla.dias', name: 'Carla Dias' } })
  await createSession(t.db, { userId, scope: 'area', ip: IP, userAgent: AGENT }, { idleMinutes: 60, absoluteHours: 12 })
  await t.db.insertInto('login_throttle').values({ throttle_key: `pair:${USERNAME}|198.51.100.0/24`, failures: 1, last_failure_at: '2026-11-01T00:00:00.000Z', blocked_until: '2026-11-01T00:00:00.000Z' }).execute()
  const mail = { mail_from: 'escritorio@exemplo.com.br', status: 'sent' as const, attempts: 1, next_attempt_at: '2026-11-01T00:00:00.000Z', created_at: '2026-11-01T00:00:00.000Z', created_by: 'cli:test' }
  await t.db.insertInto('outbox').values({ ...mail, kind: 'delivery', document_id: documentId, delivery_id: Number(delivery.id), recipient: EMAIL, message_id: '<m1@x>', subject: 'Documento disponível', body_text: `Olá, ${NAME}`, body_html: `<p>Olá, ${NAME}</p>`, server_reply: `250 ok <${EMAIL}>` }).execute()
  await t.db.insertInto('outbox').values({ ...mail, kind: 'inbox', recipient: 'escritorio@exemplo.com.br', message_id: '<m2@x>', subject: `Arquivos de ${NAME}`, body_text: `${NAME} (${EMAIL}) enviou arquivos`, body_html: `<p>${NAME} enviou</p>` }).execute()
  await t.db.insertInto('uploads').values({ client_id: clientId, user_id: userId, status: 'received', note: `nota de ${NAME}`, created_at: '2026-11-01T00:00:00.000Z' }).execute()
  const request = await t.db
    .insertInto('requests')
    .values({ client_id: clientId, title: 'Folha', category: 'pessoal', due_date: '2026-11-20', status: 'open', created_at: '2026-11-01T00:00:00.000Z', created_by: 'cli:test', updated_at: '2026-11-01T00:00:00.000Z' })
    .returning('id')
    .executeTakeFirstOrThrow()
  await t.db.insertInto('request_events').values({ request_id: Number(request.id), at: '2026-11-01T00:00:00.000Z', action: 'nothing_to_send', actor: `user:${USERNAME}`, user_id: userId, note: 'sem movimento' }).execute()
  await recordEvent(t.db, { actor: clientUser(userId), action: 'user.visibility_changed', clientId, userId: other.id, details: { by: USERNAME, email: EMAIL } })
  await t.db.updateTable('client_users').set({ activated_by: `user:${USERNAME}` }).where('id', '=', other.id).execute()
}

async function ndjsonExport(): Promise<string> {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  await exportAccessLog(t.open, { filters: {}, format: 'ndjson', target: { kind: 'stream', stream } })
  return Buffer.concat(chunks).toString('utf8')
}

describe(`confi privacy erase, core, on ${backend}`, () => {
  beforeEach(seedPerson)

  it('leaves none of the person in any table, export or new receipt; the log, its checkpoints and an old receipt still verify', async () => {
    const oldReceipt = await issueReceipt(t.db, keys, FIRM, { documentId })
    expect(JSON.stringify(oldReceipt)).toContain(IP)
    expect(await findText(t.db, NEEDLES)).not.toEqual([])

    const report = await erasePerson(t.db, FIRM, USERNAME, { keys: async () => keys })
    expect(report).toMatchObject({ dryRun: false, userId, alreadyErasedAt: null, scrubbed: true })
    expect(report.erased).toMatchObject({ access_log_rows: 2, deliveries: 1, outbox_messages: 1, sessions: 1, login_throttle: 1, upload_notes: 1, request_event_notes: 1, account: 1, receipts: 1 })
    expect(report.kept.map((k) => k.place)).toContain('access log rows (their commitments)')

    expect(await findText(t.db, NEEDLES)).toEqual([])
    // The other person is untouched.
    expect(await findText(t.db, ['Carla Dias', '192.0.2.1', 'OtherAgent'])).not.toEqual([])

    const account = await t.db.selectFrom('client_users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
    expect(account).toMatchObject({ username: `removido-${userId}`, username_key: `removido-${userId}`, name: 'Pessoa removida', email: null, password_hash: null, status: 'disabled' })
    expect(account.erased_at).toMatch(/^\d{4}-/)
    const outbox = await t.db.selectFrom('outbox').select(['recipient', 'body_text', 'subject']).orderBy('id').execute()
    expect(outbox[0]).toMatchObject({ recipient: `removido-${userId}`, body_text: '[conteúdo apagado: destinatário removido (LGPD)]' })
    expect(outbox[1].subject).toBe(`Arquivos de removido-${userId}`)
    expect((await t.db.selectFrom('events').select('actor').where('action', '=', 'user.visibility_changed').executeTakeFirstOrThrow()).actor).toBe(`user:removido-${userId}`)

    // One erasures row and one person.erased row, naming no one.
    const erasure = await t.db.selectFrom('erasures').selectAll().executeTakeFirstOrThrow()
    expect(erasure).toMatchObject({ id: report.erasureId, user_id: userId, by_actor: 'cli:test', log_id: report.logId })
    const exported = await ndjsonExport()
    const erasedRow = exported.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.kind === 'person.erased')
    expect(JSON.parse(erasedRow.details)).toMatchObject({ erasure_id: report.erasureId, counts: expect.objectContaining({ account: 1 }) })
    expect(erasedRow).toMatchObject({ user_id: null, client_id: null, username_commitment: null })

    // docs verify: the chain and the tree still hold; the export shows the fields as erased.
    expect((await walkAccessLog(t.db)).chain.ok).toBe(true)
    const verified = await verifyLogWithCheckpoints(t.db, keys.all)
    expect(verified.ok).toBe(true)
    expect(verified.checkpoints).toBeGreaterThan(0)
    for (const needle of NEEDLES) expect(exported).not.toContain(needle)
    const erasedAccess = exported.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.user_id === userId)
    expect(erasedAccess).toMatchObject({ username: null, username_salt: null, ip: null, ip_salt: null, username_commitment: expect.stringMatching(/^[0-9a-f]{64}$/) })

    // The receipt the holder kept still verifies offline; the firm's stored copy, redacted and
    // signed again, passes the portal's re-check; a new one shows the fields as erased.
    expect(verifyReceipt(oldReceipt, keys.all)).toMatchObject({ ok: true, problems: [] })
    const rechecked = await recheckReceipt(t.db, keys.all, oldReceipt.id)
    expect(rechecked?.check).toMatchObject({ ok: true, problems: [] })
    expect(rechecked?.check.details.join('\n')).toMatch(/personal values? erased \(LGPD\)/)
    for (const needle of NEEDLES) expect(JSON.stringify(rechecked?.receipt)).not.toContain(needle)
    const newReceipt = await issueReceipt(t.db, keys, FIRM, { documentId })
    const check = verifyReceipt(newReceipt, keys.all)
    expect(check.ok).toBe(true)
    expect(check.details.join('\n')).toMatch(/personal values erased \(LGPD\)/)
    for (const needle of NEEDLES) expect(JSON.stringify(newReceipt)).not.toContain(needle)
  })

  it('no copy in the SQLite file, its WAL or a backup made afterwards', async () => {
    if (backendOf(t.db) !== 'sqlite') return
    const path = t.config.database.kind === 'sqlite' ? t.config.database.path : ''
    const raw = () => Buffer.concat([path, `${path}-wal`].filter(existsSync).map((f) => readFileSync(f)))
    expect(raw().includes(Buffer.from(IP))).toBe(true)
    await erasePerson(t.db, FIRM, String(userId))
    const files = [path, `${path}-wal`].filter(existsSync)
    const backup = join(t.dir, 'backup.db')
    await backupDatabase(path, backup)
    for (const file of [...files, backup]) {
      const bytes = readFileSync(file)
      for (const needle of NEEDLES) expect(bytes.includes(Buffer.from(needle)), `${needle} in ${file}`).toBe(false)
    }
  })

  it('a dry run reports the same counts and changes nothing', async () => {
    const before = await findText(t.db, NEEDLES)
    const heads = await t.db.selectFrom('erasures').select('id').execute()
    const dry = await erasePerson(t.db, FIRM, USERNAME, { dryRun: true })
    expect(dry).toMatchObject({ dryRun: true, erasureId: null, logId: null })
    expect(dry.erased.access_log_rows).toBe(2)
    expect(await findText(t.db, NEEDLES)).toEqual(before)
    expect(await t.db.selectFrom('erasures').select('id').execute()).toEqual(heads)
    const real = await erasePerson(t.db, FIRM, USERNAME)
    expect(real.erased).toEqual(dry.erased)
  })

  it('an unknown user is refused; an erased one is reported as already erased', async () => {
    await expect(erasePerson(t.db, FIRM, 'ninguem.aqui')).rejects.toThrow(NotFoundError)
    await erasePerson(t.db, FIRM, USERNAME)
    await expect(erasePerson(t.db, FIRM, USERNAME)).rejects.toThrow(NotFoundError)
    const again = await erasePerson(t.db, FIRM, String(userId))
    expect(again.alreadyErasedAt).toMatch(/^\d{4}-/)
    expect(again.erasureId).toBeNull()
    expect(await t.db.selectFrom('erasures').select('id').execute()).toHaveLength(1)
  })

  it('format-1 rows are kept and listed by id', async () => {
    const f1 = await recordAccess(t.db, { documentId, clientId, channel: 'portal', action: 'view', ip: IP, user: { id: userId, username: USERNAME, name: NAME } }, { format: 1 })
    const report = await erasePerson(t.db, FIRM, USERNAME)
    const kept = report.kept.find((k) => k.place === 'access log rows of format 1')
    expect(kept).toMatchObject({ rows: 1, ranges: [{ first: f1.id, last: f1.id }] })
    expect((await walkAccessLog(t.db)).chain.ok).toBe(true)
  })

  it('a failure half way leaves nothing erased', async () => {
    // The last step (the account) fails: every earlier step must roll back with it.
    if (backendOf(t.db) === 'postgres') {
      await sql`create function refuse() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`.execute(t.db)
      await sql`create trigger refuse_erase before update of erased_at on client_users for each row execute function refuse()`.execute(t.db)
    } else {
      await sql`create trigger refuse_erase before update of erased_at on client_users begin select raise(abort, 'refused'); end`.execute(t.db)
    }
    const before = await findText(t.db, NEEDLES)
    await expect(erasePerson(t.db, FIRM, USERNAME)).rejects.toThrow(/refused/)
    expect(await findText(t.db, NEEDLES)).toEqual(before)
    expect(await t.db.selectFrom('erasures').select('id').execute()).toEqual([])
    expect((await walkAccessLog(t.db)).chain.ok).toBe(true)
  })
})

import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../src/core/db/database.js'
import { runCli } from '../helpers/cli.js'
import { usePortalWorld, visible } from '../helpers/portal.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'

const w = usePortalWorld()
let smtp: TestSmtp
beforeAll(async () => {
  smtp = await startTestSmtp()
})
afterAll(async () => {
  await smtp.close()
})

/** The privacy.exported rows of the log with their personal values from beside them. */
export async function privacyRows(db: Db) {
  const rows = await db
    .selectFrom('access_log as a')
    .leftJoin('access_log_personal as p', 'p.id', 'a.id')
    .select(['a.kind', 'a.client_id', 'a.user_id', 'a.channel', 'a.details', 'p.username', 'p.ip', 'p.user_agent'])
    .where('a.kind', '=', 'privacy.exported')
    .orderBy('a.id')
    .execute()
  return { rows: rows.map((r) => ({ ...r, client_id: Number(r.client_id), user_id: Number(r.user_id) })) }
}

async function withMail() {
  await w.db.updateTable('firm_options').set({ mail_from: 'Escritório <escritorio@contab.com.br>', inbox_email: 'caixa@contab.com.br' }).where('id', '=', 1).execute()
}

async function zipOf(response: Response): Promise<{ data: Record<string, unknown> & { places: Record<string, { rows: Record<string, unknown>[] }> }; html: string }> {
  const path = join(w.t.dir, `export-${Date.now()}.zip`)
  writeFileSync(path, Buffer.from(await response.arrayBuffer()))
  const read = (name: string) => execFileSync('unzip', ['-p', path, name], { encoding: 'utf8' })
  return { data: JSON.parse(read('dados.json')), html: read('resumo.html') }
}

describe('Meus dados', () => {
  it('shows the form on the account page, in pt-BR, without JavaScript', async () => {
    const { ana } = await w.clientWithAdmin()
    const page = await w.request('/account', { cookie: await w.cookieFor(ana) })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<form method="post" action="/account/meus-dados">')
    expect(visible(html)).toContain('Baixar meus dados')
  })

  it("downloads the user's own export, logs privacy.exported and tells the firm by e-mail", async () => {
    await withMail()
    const { client, ana } = await w.clientWithAdmin()
    const bia = await w.user(client, 'ana.b', { role: 'collaborator' })
    await w.db.updateTable('client_users').set({ email: 'ana@padaria.com.br' }).where('id', '=', ana.id).execute()
    // A collaborator may take their own export too (docs/privacy.md).
    const response = await w.request('/account/meus-dados', { form: {}, cookie: await w.cookieFor(bia), ip: '198.51.100.23', headers: { 'user-agent': 'Celular 1.0' } })
    expect(response.status, await response.clone().text().catch(() => '')).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/zip')
    expect(response.headers.get('content-disposition')).toContain('meus-dados-ana.b.zip')
    const { data, html } = await zipOf(response)
    expect(data.subject).toEqual({ key: 'user', value: 'ana.b' })
    expect(data.requested_by).toBe('user:ana.b')
    expect(data.places.account.rows.map((r) => r.username)).toEqual(['ana.b'])
    expect(JSON.stringify(data)).not.toContain('ana@padaria.com.br')
    expect(html).toContain('Seus dados em')
    // The log row: kind privacy.exported, the user and where from committed, nothing personal in details.
    const { rows } = await privacyRows(w.db)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ kind: 'privacy.exported', client_id: client.id, user_id: bia.id, channel: 'portal', username: 'ana.b', ip: '198.51.100.23', user_agent: 'Celular 1.0' })
    expect(rows[0].details).toBe('{"format":"confi.privacy-export/1"}')
    // The firm's e-mail, through the outbox to its inbox address, sent by a real SMTP server.
    const queued = await w.db.selectFrom('outbox').selectAll().where('kind', '=', 'inbox').execute()
    expect(queued.map((q) => q.recipient)).toEqual(['caixa@contab.com.br'])
    const run = await runCli(['outbox', 'run', '--json'], { env: { ...w.t.env, CONFI_SMTP_URL: smtp.url } })
    expect(run.code, run.stderr).toBe(0)
    const [mail] = await smtp.waitFor(1)
    expect(mail.subject).toBe('Pedido de dados pessoais atendido: ana.b')
    expect(mail.text).toContain('baixou pela área do cliente uma cópia dos próprios dados')
  })

  it('refuses without a session, from another site, and for pending and disabled users', async () => {
    const { client } = await w.clientWithAdmin()
    const anonymous = await w.request('/account/meus-dados', { form: {} })
    expect(anonymous.status).toBe(303)
    const cookie = await w.cookieFor(await w.user(client, 'caio', { role: 'admin' }))
    const crossSite = await w.request('/account/meus-dados', { form: {}, cookie, headers: { origin: 'https://evil.example' } })
    expect(crossSite.status).toBe(403)
    const pending = await w.user(client, 'pedro', { status: 'pending' })
    const asPending = await w.request('/account/meus-dados', { form: {}, cookie: await w.cookieFor(pending) })
    expect(asPending.headers.get('content-type')).not.toBe('application/zip')
    const disabled = await w.user(client, 'dora', { status: 'disabled' })
    const asDisabled = await w.request('/account/meus-dados', { form: {}, cookie: await w.cookieFor(disabled) })
    expect(asDisabled.headers.get('content-type')).not.toBe('application/zip')
    expect(asDisabled.status).toBe(303)
    const { rows } = await privacyRows(w.db)
    expect(rows).toHaveLength(0)
    expect(await w.db.selectFrom('outbox').select('id').execute()).toHaveLength(0)
  })

  it("gives each user only their own export, whatever the form says", async () => {
    const { client, ana } = await w.clientWithAdmin()
    const bia = await w.user(client, 'bia')
    const response = await w.request('/account/meus-dados', { form: { user: String(ana.id), username: 'ana' }, cookie: await w.cookieFor(bia) })
    const { data } = await zipOf(response)
    expect(data.subject).toEqual({ key: 'user', value: 'bia' })
    expect(JSON.stringify(data.places.account.rows)).not.toContain('"ana"')
  })
})

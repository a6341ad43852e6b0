// The uploads' committer of `confi serve` (core/uploads/commit-thread.ts): on SQLite a worker thread
// with its own connection writes an upload's rows (so the commit's fsync never stalls the portal),
// answers only once they are committed, and hands refusals back with their type; on PostgreSQL the
// same transaction runs in this process. Needs `npm run build` (the thread runs dist/).
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ConflictError, NotFoundError, UnavailableError } from '../../../src/core/errors.js'
import { receiveUpload, startUploadCommitter, type UploadCommitter, UploadRefusedError } from '../../../src/core/uploads/index.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeUser, storeOf } from '../../helpers/factories.js'
import { multipart, PDF, XML, type Part } from './multipart.js'

const t = useTestDatabase({ firm: true })
const ORIGIN = { ip: '203.0.113.7', port: 51000, userAgent: 'Teste/1.0' }
const NFE = { ok: true as const, key: '3'.repeat(44), model: 'nfe' as const, issuer: '11222333000181', recipient: null, issuedOn: '2026-11-30', totalCents: 12345 }

async function world() {
  await t.db.updateTable('firm_options').set({ mail_from: 'Escritório <avisos@escritorio.com.br>', inbox_email: 'recebidos@escritorio.com.br' }).execute()
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const other = await makeClient(t.db, t.key, { name: 'Outra Empresa Ltda' })
  const admin = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin', active: true, email: 'ana@padaria.com.br' })
  return { client, other, admin }
}

function send(commit: UploadCommitter, userId: number, parts: Part[], requestId: number | null = null) {
  const form = multipart(parts)
  return receiveUpload(t.db, storeOf(t), {
    userId,
    requestId,
    body: Readable.from([form.body]),
    contentType: form.contentType,
    origin: ORIGIN,
    readFiscal: () => NFE,
    commit,
  })
}

const general = (clientId: number, files: Part[]): Part[] => [{ name: 'empresa', value: String(clientId) }, { name: 'categoria', value: 'contabil' }, ...files]

describe("the uploads' committer", () => {
  it('writes the rows, the log row and the e-mail before answering, one upload after another', async () => {
    const { client, admin } = await world()
    const committer = startUploadCommitter(t.db, t.config.database)
    let ids: number[]
    try {
      ids = await Promise.all(
        Array.from({ length: 4 }, (_, i) => send(committer.commit, admin.id, general(client.id, [{ name: 'arquivos', filename: `extrato-${i}.pdf`, content: Buffer.concat([PDF, Buffer.from(String(i))]) }]))),
      )
      // Committed when answered: this process's own connection sees every row at once.
      const uploads = await t.db.selectFrom('uploads').select(['id', 'log_id']).orderBy('id').execute()
      expect(uploads.map((u) => Number(u.id))).toEqual([...ids].sort((a, b) => a - b))
      expect(uploads.every((u) => u.log_id !== null)).toBe(true)
      const logged = await t.db.selectFrom('access_log').select('id').where('kind', '=', 'upload.received').execute()
      expect(logged).toHaveLength(4)
      // The four joined one digest e-mail (its window is minutes long).
      const mails = await t.db.selectFrom('outbox').select('body_text').where('kind', '=', 'inbox').execute()
      expect(mails).toHaveLength(1)
      for (const id of ids) expect(mails[0].body_text).toContain(`Envio ${id}:`)
    } finally {
      await committer.close()
    }
  })

  it('commits uploads sent together as one group, refusing one of them alone', async () => {
    const { client, other, admin } = await world()
    const committer = startUploadCommitter(t.db, t.config.database)
    try {
      const job = (clientId: number) => ({ userId: admin.id, requestId: null, general: { clientId, category: 'contabil' as const }, note: null, files: [], fiscal: [], origin: ORIGIN })
      // Sent in one turn: they reach the committer together, and the second may not be written.
      const outcomes = await Promise.allSettled([client.id, other.id, client.id, client.id].map((id) => committer.commit(job(id))))
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError)
      const ids = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []))
      const uploads = await t.db.selectFrom('uploads').select(['id', 'client_id', 'log_id']).orderBy('id').execute()
      expect(uploads.map((u) => Number(u.id))).toEqual(ids)
      expect(uploads.every((u) => Number(u.client_id) === client.id && u.log_id !== null)).toBe(true)
      expect(await t.db.selectFrom('access_log').select('id').where('kind', '=', 'upload.received').execute()).toHaveLength(3)
      // One digest naming the three, as when each was committed alone.
      const mails = await t.db.selectFrom('outbox').select('body_text').where('kind', '=', 'inbox').execute()
      expect(mails).toHaveLength(1)
      for (const id of ids) expect(mails[0].body_text).toContain(`Envio ${id}:`)
    } finally {
      await committer.close()
    }
  })

  it('hands back a refusal with its type and details, and writes nothing of the refused upload', async () => {
    const { client, other, admin } = await world()
    const committer = startUploadCommitter(t.db, t.config.database)
    try {
      const xml = (content: Buffer) => general(client.id, [{ name: 'arquivos', filename: 'nfe.xml', content }])
      await send(committer.commit, admin.id, xml(XML))
      const again = await send(committer.commit, admin.id, xml(Buffer.concat([XML, Buffer.from(' ')]))).catch((e: unknown) => e)
      expect(again).toBeInstanceOf(UploadRefusedError)
      expect(again).toMatchObject({ problem: 'already_received', details: { fileName: 'nfe.xml' } })
      // A job for a company the sender cannot see (the form was read before the commit re-checks).
      const job = { userId: admin.id, requestId: null, general: { clientId: other.id, category: 'contabil' as const }, note: null, files: [], fiscal: [], origin: ORIGIN }
      await expect(committer.commit(job)).rejects.toBeInstanceOf(NotFoundError)
      const at = new Date().toISOString()
      const request = await t.db
        .insertInto('requests')
        .values({ client_id: client.id, template_id: null, title: 'Extrato', category: 'contabil', competence: null, due_date: '2026-12-05', note: null, status: 'cancelled', created_at: at, created_by: 'cli:test', updated_at: at } as never)
        .returning('id')
        .executeTakeFirstOrThrow()
      await expect(committer.commit({ ...job, requestId: Number(request.id), general: null })).rejects.toBeInstanceOf(ConflictError)
      expect(await t.db.selectFrom('uploads').select('id').execute()).toHaveLength(1)
    } finally {
      await committer.close()
    }
    // A closed thread takes no more jobs (PostgreSQL has no thread to close).
    if (t.config.database.kind === 'sqlite') {
      await expect(committer.commit({ userId: admin.id, requestId: null, general: null, note: null, files: [], fiscal: [], origin: ORIGIN })).rejects.toBeInstanceOf(UnavailableError)
    }
  })
})

import { describe, expect, it } from 'vitest'
import { lookupSessionDocument } from '../../../src/core/documents/download-lookup.js'
import { createSession } from '../../../src/core/identity/sessions.js'
import { disableUser } from '../../../src/core/identity/users.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser, writeTestFile } from '../../helpers/factories.js'

// The gated download's lookup (core/documents/download-lookup.ts). Started together, the lookups
// below go out as one group on PostgreSQL (the first alone, the rest in one statement once it
// answers; core/db/group-read.ts) and one by one on SQLite: either way each gets its own answer.

const t = useTestDatabase({ firm: true })
const policy = { idleMinutes: 60 }
const sessionOf = async (userId: number) => (await createSession(t.db, { userId, scope: 'area' }, { idleMinutes: 60, absoluteHours: 12 })).token

describe('lookupSessionDocument', () => {
  it('answers each of a group of mixed lookups with its own session and document', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, role: 'admin' })
    const bia = await makeUser(t.db, { clientId: client.id, role: 'collaborator' })
    const other = await makeClient(t.db, t.key)
    const gil = await makeUser(t.db, { clientId: other.id, role: 'admin' })
    const own = await makeDocument(t, client.id, {
      title: 'Dois arquivos',
      files: [{ path: writeTestFile(t.dir, 'a.pdf') }, { path: writeTestFile(t.dir, 'b.pdf') }],
    })
    const foreign = await makeDocument(t, other.id, { title: 'Folha' })
    const gone = await makeDocument(t, client.id, { title: 'Antigo' })
    await t.db.updateTable('documents').set({ expired_at: '2026-06-10T00:00:00.000Z', expired_reason: 'retention' }).where('id', '=', gone.id).execute()
    const [anaToken, biaToken, gilToken] = [await sessionOf(ana.id), await sessionOf(bia.id), await sessionOf(gil.id)]
    await disableUser(t.db, ACCOUNTANT, bia.id)
    const biaAgain = await sessionOf(bia.id)

    const asked: [string, number][] = [
      [anaToken, own.id],
      [gilToken, foreign.id],
      ['nobody-' + 'x'.repeat(40), own.id],
      [anaToken, 2_000_000_000],
      [anaToken, gone.id],
      [biaToken, own.id],
      [biaAgain, own.id],
      [gilToken, own.id],
      [anaToken, own.id],
    ]
    const answers = await Promise.all(asked.map(([token, id]) => lookupSessionDocument(t.db, token, policy, id)))
    const summary = answers.map((a) => {
      if (!a) return null
      const d = a.document
      const doc = d.kind === 'found' ? `${d.document.id}:${d.document.attachments.map((f) => f.fileName).join('+')}` : d.kind === 'expired' ? `expired ${d.id}` : 'missing'
      return `${a.session.user.username} ${a.session.user.status} ${doc}`
    })
    expect(summary).toEqual([
      `${ana.username} active ${own.id}:a.pdf+b.pdf`,
      `${gil.username} active ${foreign.id}:${foreign.attachments[0].fileName}`,
      null,
      `${ana.username} active missing`,
      `${ana.username} active expired ${gone.id}`,
      // Disabling ended bia's session; the one made after it reads her as disabled.
      null,
      `${bia.username} disabled ${own.id}:a.pdf+b.pdf`,
      `${gil.username} active ${own.id}:a.pdf+b.pdf`,
      `${ana.username} active ${own.id}:a.pdf+b.pdf`,
    ])
    // Each user's own scope: gil's group is his company, ana's hers.
    expect(answers[1]!.session.scope).not.toEqual(answers[0]!.session.scope)
  })

  it('sees a disable committed before the lookup started, though another lookup was in flight', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, role: 'admin' })
    const doc = await makeDocument(t, client.id)
    const token = await sessionOf(ana.id)
    const inFlight = lookupSessionDocument(t.db, token, policy, doc.id)
    await t.db.updateTable('client_users').set({ status: 'disabled' }).where('id', '=', ana.id).execute()
    const next = await lookupSessionDocument(t.db, token, policy, doc.id)
    // The one in flight may have been read either side of the update; the next one, never before it.
    expect(['active', 'disabled']).toContain((await inFlight)?.session.user.status)
    expect(next?.session.user.status).toBe('disabled')
  })
})

import { describe, expect, it } from 'vitest'
import { lookupSessionUser } from '../../../src/core/identity/authentication.js'
import { createSession } from '../../../src/core/identity/sessions.js'
import {
  acceptTerms,
  currentTerms,
  listTerms,
  MAX_TERMS_BYTES,
  publishTerms,
  termsSha256,
  termsText,
} from '../../../src/core/identity/terms.js'
import { disableUser } from '../../../src/core/identity/users.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, eventActions, makeClient, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const ORIGIN = { ip: '198.51.100.4', port: 51000, userAgent: 'Teste' }
const publish = (text: string | Buffer) => publishTerms(t.db, ACCOUNTANT, { bytes: Buffer.from(text), sourceName: 'termos.md' })

describe('terms files (docs/rules.md#terms-and-consent)', () => {
  it('stores UTF-8 text with one newline at the end, NFC, LF, no BOM', () => {
    expect(termsText(Buffer.from('\uFEFF# Termos\r\n\r\nA\u0301gua\tlimpa.\r\n\r\n\r\n'))).toBe('# Termos\n\nÁgua\tlimpa.\n')
    expect(termsSha256('a\n')).toBe('87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7')
  })

  it('refuses empty, binary, non-UTF-8, hidden-character and huge files', () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from(''), /empty/],
      [Buffer.from(' \n\r\n\t\n'), /empty/],
      [Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x00, 0x01, 0x02]), /control characters, so it is not a text file/],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff]), /not UTF-8/],
      // "Serviço" saved as Latin-1.
      [Buffer.concat([Buffer.from('Servi'), Buffer.from([0xe7, 0x6f])]), /not UTF-8/],
      [Buffer.from('Texto \u202Eoculto\n'), /bidi/],
      [Buffer.from('Texto \u001b[2J\n'), /control characters/],
      [Buffer.alloc(MAX_TERMS_BYTES + 1, 'a'), /more than the 262144 allowed/],
    ]
    for (const [bytes, message] of cases) expect(() => termsText(bytes)).toThrow(message)
    expect(termsText(Buffer.alloc(MAX_TERMS_BYTES, 'a'))).toHaveLength(MAX_TERMS_BYTES + 1)
  })
})

describe('publishing and accepting (docs/rules.md#terms-and-consent)', () => {
  it('publishes a version once per text, audits it, and counts acceptances', async () => {
    expect(await currentTerms(t.db)).toBeNull()
    await expect(publish('')).rejects.toThrow(/empty/)
    expect(await listTerms(t.db)).toEqual([])

    const first = await publish('# Termos\n\nVersão 1.\n')
    expect(first.published).toBe(true)
    expect(first.version).toMatchObject({ id: 1, sha256: termsSha256('# Termos\n\nVersão 1.\n'), sourceName: 'termos.md', publishedBy: 'cli:test' })
    expect(await publish('# Termos\r\n\r\nVersão 1.')).toMatchObject({ published: false, version: { id: 1 } })
    expect((await eventActions(t.db)).filter((a) => a.startsWith('terms.'))).toEqual(['terms.published'])

    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin' })
    const bruno = await makeUser(t.db, { clientId: client.id, username: 'bruno', role: 'admin' })
    await acceptTerms(t.db, ana, 1, ORIGIN)
    await acceptTerms(t.db, ana, 1, ORIGIN)
    await acceptTerms(t.db, bruno, 1, ORIGIN)
    await disableUser(t.db, ACCOUNTANT, bruno.id)
    expect(await listTerms(t.db)).toEqual([expect.objectContaining({ id: 1, acceptances: 2, activeAccepted: 1, bytes: 21 })])
    const rows = await t.db.selectFrom('access_log').select(['id', 'kind', 'user_id', 'client_id', 'details']).where('kind', '=', 'terms.accepted').orderBy('id').execute()
    expect(rows.map((r) => r.user_id)).toEqual([ana.id, bruno.id])
    const acceptances = await t.db.selectFrom('terms_acceptances').select(['user_id', 'log_id']).orderBy('user_id').execute()
    expect(acceptances).toEqual([{ user_id: ana.id, log_id: rows[0].id }, { user_id: bruno.id, log_id: rows[1].id }])

    const second = await publish('# Termos\n\nVersão 2.\n')
    expect(second.version.id).toBe(2)
    await expect(acceptTerms(t.db, ana, 1, ORIGIN)).rejects.toMatchObject({ reason: 'terms_changed' })
    await expect(acceptTerms(t.db, ana, 99, ORIGIN)).rejects.toMatchObject({ reason: 'terms_changed' })
  })

  it('reads what a session owes with the session, in the same query', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin' })
    const { token } = await createSession(t.db, { userId: ana.id, scope: 'area' }, { idleMinutes: 30, absoluteHours: 1 })
    const due = async () => (await lookupSessionUser(t.db, token, { idleMinutes: 30 }))!.termsDueId
    expect(await due()).toBeNull()
    await publish('v1\n')
    expect(await due()).toBe(1)
    await acceptTerms(t.db, ana, 1, ORIGIN)
    expect(await due()).toBeNull()
    await publish('v2\n')
    expect(await due()).toBe(2)
    await acceptTerms(t.db, ana, 2, ORIGIN)
    expect(await due()).toBeNull()
  })
})

import { beforeEach, describe, expect, it } from 'vitest'
import { accountant } from '../../../src/core/actors.js'
import {
  createDelivery,
  deliveryUrl,
  parseDuration,
  resolveDelivery,
  revokeDelivery,
} from '../../../src/core/delivery/deliveries.js'
import { addSeconds, nowIso, setClock } from '../../../src/core/time.js'
import { sha256Hex } from '../../../src/core/tokens.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeDocument, eventActions, makeClient } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let documentId: number
let clientId: number
beforeEach(async () => {
  clientId = (await makeClient(t.db, t.key)).id
  documentId = (await makeDocument(t, clientId)).id
})

describe('deliveries', () => {
  it('creates a link whose token is derived, long and url-safe, and stores only its digest', async () => {
    const { delivery, token, url } = await createDelivery(t.db, t.key, accountant('cli:ana'), {
      documentId,
      channel: 'email',
      recipient: 'financeiro@cliente.com.br',
    })
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url).toBe(`http://localhost:3000/d/${token}`)
    expect(delivery).toMatchObject({ documentId, channel: 'email', recipient: 'financeiro@cliente.com.br', expiresAt: null })
    const row = await t.db.selectFrom('deliveries').selectAll().executeTakeFirstOrThrow()
    expect(row.token_digest).toBe(sha256Hex(token))
    expect(JSON.stringify(row)).not.toContain(token)
    const resolved = await resolveDelivery(t.db, token)
    expect(resolved.status).toBe('ok')
    if (resolved.status === 'ok') expect(resolved.document.id).toBe(documentId)
    expect(await eventActions(t.db, clientId)).toContain('delivery.created')
  })

  it('answers revoked, expired and unknown', async () => {
    const expiring = await createDelivery(t.db, t.key, accountant('cli:ana'), {
      documentId,
      channel: 'link',
      expiresAt: addSeconds(nowIso(), parseDuration('1h')),
    })
    const revoked = await createDelivery(t.db, t.key, accountant('cli:ana'), { documentId, channel: 'whatsapp', recipient: '+55 11 91234-5678' })
    await revokeDelivery(t.db, accountant('cli:ana'), revoked.delivery.id)
    expect((await resolveDelivery(t.db, revoked.token)).status).toBe('revoked')
    await expect(revokeDelivery(t.db, accountant('cli:ana'), revoked.delivery.id)).rejects.toThrow(/already revoked/)
    expect((await resolveDelivery(t.db, expiring.token)).status).toBe('ok')
    const restore = setClock(() => new Date(Date.now() + 3601_000))
    try {
      expect((await resolveDelivery(t.db, expiring.token)).status).toBe('expired')
    } finally {
      restore()
    }
    expect(await resolveDelivery(t.db, 'x'.repeat(43))).toEqual({ status: 'unknown' })
    expect(await resolveDelivery(t.db, '../../etc')).toEqual({ status: 'unknown' })
  })

  it('refuses bad input', async () => {
    await expect(createDelivery(t.db, t.key, accountant('cli:a'), { documentId: 999, channel: 'link' })).rejects.toThrow(/no document with id 999/)
    await expect(createDelivery(t.db, t.key, accountant('cli:a'), { documentId, channel: 'fax' })).rejects.toThrow(/unknown channel/)
    await expect(createDelivery(t.db, t.key, accountant('cli:a'), { documentId, channel: 'email', recipient: 'nope' })).rejects.toThrow(/not a valid e-mail address/)
    await expect(createDelivery(t.db, t.key, accountant('cli:a'), { documentId, channel: 'whatsapp', recipient: '123' })).rejects.toThrow(/not a phone/)
    await expect(
      createDelivery(t.db, t.key, accountant('cli:a'), { documentId, channel: 'link', expiresAt: '2000-01-01T00:00:00.000Z' }),
    ).rejects.toThrow(/not in the future/)
    await expect(revokeDelivery(t.db, accountant('cli:a'), 999)).rejects.toThrow(/no delivery with id 999/)
    expect(await t.db.selectFrom('deliveries').selectAll().execute()).toEqual([])
  })

  it('parses durations', () => {
    expect(parseDuration('30d')).toBe(30 * 86400)
    expect(parseDuration('12h')).toBe(12 * 3600)
    expect(parseDuration('90m')).toBe(90 * 60)
    for (const bad of ['0d', '30', 'd', '1w', '-1d', '1.5h']) expect(() => parseDuration(bad)).toThrow(/30d, 12h or 90m/)
    expect(deliveryUrl('https://x.com.br/', 'abc')).toBe('https://x.com.br/d/abc')
  })
})

import { describe, expect, it } from 'vitest'
import { deliveryStatus } from '../../../src/core/delivery/deliveries.js'

describe('deliveryStatus (docs/rules.md#document-links-and-login)', () => {
  const now = '2026-11-29T12:00:00.000Z'
  it('is active until the expiry, expired from it on, and revoked wins over both', () => {
    expect(deliveryStatus({ expiresAt: null, revokedAt: null }, now)).toBe('active')
    expect(deliveryStatus({ expiresAt: '2026-11-29T12:00:00.001Z', revokedAt: null }, now)).toBe('active')
    expect(deliveryStatus({ expiresAt: now, revokedAt: null }, now)).toBe('expired')
    expect(deliveryStatus({ expiresAt: '2026-11-30T00:00:00.000Z', revokedAt: now }, now)).toBe('revoked')
  })

  it('compares instants, not strings: an offset in the expiry counts', () => {
    // 09:30-03:00 is 12:30 UTC: still active at 12:00 UTC, though it sorts before it as text.
    expect(deliveryStatus({ expiresAt: '2026-11-29T09:30:00-03:00', revokedAt: null }, now)).toBe('active')
  })
})

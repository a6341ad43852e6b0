import { describe, expect, it } from 'vitest'
import { resolveClientAddress } from '../../src/portal/client-address.js'

describe('client address (Marco Civil, art. 15)', () => {
  const trusted = ['10.0.0.1']
  it('uses the socket peer and its port, ignoring X-Forwarded-For from untrusted peers', () => {
    expect(resolveClientAddress({ remoteAddress: '::ffff:203.0.113.5', remotePort: 51000, forwardedFor: '1.2.3.4', trustedProxies: trusted })).toEqual({ ip: '203.0.113.5', port: 51000 })
  })
  it('reads X-Forwarded-For from the right when the peer is a trusted proxy', () => {
    expect(resolveClientAddress({ remoteAddress: '10.0.0.1', remotePort: 443, forwardedFor: '6.6.6.6, 203.0.113.9, 10.0.0.1', trustedProxies: trusted })).toEqual({ ip: '203.0.113.9', port: null })
    // Garbage where a trusted proxy should have written an address: only the peer is certain.
    expect(resolveClientAddress({ remoteAddress: '10.0.0.1', remotePort: 443, forwardedFor: '203.0.113.9, =cmd()', trustedProxies: trusted })).toEqual({ ip: '10.0.0.1', port: null })
  })
  it('answers nulls without a socket', () => {
    expect(resolveClientAddress({ trustedProxies: trusted })).toEqual({ ip: null, port: null })
  })
})

import { isIP } from 'node:net'

/** Where a request came from, as recorded in the access log (Marco Civil, art. 15). */
export interface ClientAddress {
  ip: string | null
  port: number | null
}

/** Strips the IPv4-mapped IPv6 prefix so 127.0.0.1 reads the same on every stack. */
export function normaliseIp(ip: string): string {
  const trimmed = ip.trim()
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy, in which case
 * X-Forwarded-For is read from the right, skipping trusted proxies, and the first other address
 * is the client. X-Forwarded-For from anyone else is ignored: any browser can send it. The port
 * is the socket's only when the peer is the client itself; a proxy's port says nothing.
 */
export function resolveClientAddress(input: {
  remoteAddress?: string | null
  remotePort?: number | null
  forwardedFor?: string | null
  trustedProxies: readonly string[]
}): ClientAddress {
  if (!input.remoteAddress) return { ip: null, port: null }
  const peer = normaliseIp(input.remoteAddress)
  const trusted = new Set(input.trustedProxies.map(normaliseIp))
  if (!trusted.has(peer) || !input.forwardedFor) {
    return { ip: peer, port: input.remotePort ?? null }
  }
  const hops = input.forwardedFor
    .split(',')
    .map((hop) => normaliseIp(hop))
    .filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) {
    // Trusted proxies append addresses; anything else reached first means a misconfigured proxy,
    // and the socket's peer is the only address known for sure.
    if (isIP(hops[i]) === 0) return { ip: peer, port: null }
    if (!trusted.has(hops[i])) return { ip: hops[i], port: null }
  }
  return { ip: hops[0] ?? peer, port: null }
}

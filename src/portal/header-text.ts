import type { PortalContext } from './env.js'

// Node hands header values over as latin1: one character per byte. Browsers and HTTP clients
// that put non-ASCII in a header (an app's User-Agent naming "Câmera Ünï") send UTF-8, which
// would be stored as "CÃ¢mera Ãnï" (docs/rules.md#portal-security).
const UTF8 = new TextDecoder('utf-8', { fatal: true })
const NON_ASCII = /[^\x00-\x7f]/
const BEYOND_LATIN1 = /[^\x00-\xff]/

/**
 * A header value as the client wrote it: its bytes read as UTF-8 when they are valid UTF-8,
 * else as latin1 (what HTTP allowed before UTF-8). Text already holding characters beyond latin1
 * did not come from a socket and is kept as it is.
 */
export function decodeHeaderValue(value: string): string {
  if (!NON_ASCII.test(value) || BEYOND_LATIN1.test(value)) return value
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'))
  } catch {
    return value
  }
}

/** The request's User-Agent as the client sent it, at most 500 characters; null when absent. */
export function userAgentOf(c: PortalContext): string | null {
  const value = c.req.header('user-agent')
  return value === undefined ? null : decodeHeaderValue(value).slice(0, 500)
}

import { createHmac, randomBytes } from 'node:crypto'
import { sameSecret, type SecretKey } from '../tokens.js'

// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
// logged in as a user gets a cookie signed with the secret key, naming that user and a random
// nonce. Its later attempts for that user are counted against the cookie alone, never against
// the user's ceiling across all networks, so failures from elsewhere (a distributed guesser) do
// not lock that browser out (docs/security.md, "Throttling").

function signature(key: SecretKey, usernameKey: string, nonce: string): string {
  return createHmac('sha256', key).update(['device', usernameKey, nonce].join('\u0000')).digest('base64url')
}

/** A new device cookie value for this user (by its username key). */
export function issueDeviceCookie(key: SecretKey, usernameKey: string): string {
  const nonce = randomBytes(16).toString('base64url')
  return `${nonce}.${signature(key, usernameKey, nonce)}`
}

/** The cookie's nonce when it is ours and was issued for this user; else null. */
export function trustedDeviceOf(key: SecretKey, value: string | undefined, usernameKey: string): string | null {
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '')
  if (!match) return null
  return sameSecret(match[2], signature(key, usernameKey, match[1])) ? match[1] : null
}

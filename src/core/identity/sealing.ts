/**
 * Secrets the server must read back (TOTP seeds) sealed with AES-256-GCM under a key derived by
 * HKDF-SHA256 from the secret key file, so a database dump alone reveals none of them
 * (docs/security.md, "Two-factor login"). The additional data binds a sealed value to its purpose
 * and owner: a value copied to another user's row does not open.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import type { SecretKey } from '../tokens.js'

const VERSION = 'v1'

/** A 256-bit key for one purpose, derived from the secret key file (RFC 5869). */
export function derivedKey(key: SecretKey, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `confi ${purpose}`, 32))
}

/** `v1.<iv>.<ciphertext>.<tag>` (base64url): the sealed form of `plain` for `context`. */
export function seal(key: SecretKey, purpose: string, context: string, plain: Buffer): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', derivedKey(key, purpose), iv)
  cipher.setAAD(Buffer.from(context))
  const body = Buffer.concat([cipher.update(plain), cipher.final()])
  return [VERSION, iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
}

/** Opens a sealed value; throws when it was sealed under another key, purpose or context, or altered. */
export function unseal(key: SecretKey, purpose: string, context: string, sealed: string): Buffer {
  const [version, iv, body, tag] = sealed.split('.')
  if (version !== VERSION || !iv || body === undefined || !tag) throw new Error('not a sealed value')
  const decipher = createDecipheriv('aes-256-gcm', derivedKey(key, purpose), Buffer.from(iv, 'base64url'))
  decipher.setAAD(Buffer.from(context))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()])
}

/** A keyed hash (HMAC-SHA256 under a derived key): what is stored of a one-time code. */
export function keyedHash(key: SecretKey, purpose: string, value: string): string {
  return createHmac('sha256', derivedKey(key, purpose)).update(value).digest('hex')
}

/** Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30 s steps, 6 digits. */
import { createHmac } from 'node:crypto'

export const TOTP_STEP_SECONDS = 30
export const TOTP_DIGITS = 6
// One step either side: a phone clock a little off, or a code typed as it rolled over
// (docs/decisions.md, "Two-factor login (issue 9)").
const WINDOW_STEPS = 1

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 without padding, as authenticator apps expect it. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** Decodes base32 (case, spaces and padding ignored); throws on any other character. */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=]/g, '')
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const ch of clean) {
    const index = BASE32.indexOf(ch)
    if (index < 0) throw new Error(`not a base32 character: ${JSON.stringify(ch)}`)
    value = ((value << 5) | index) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** The HOTP value of `counter` (RFC 4226 §5.3), zero-padded to `digits`. */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS, algorithm = 'sha1'): string {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac(algorithm, secret).update(message).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const binary = mac.readUInt32BE(offset) & 0x7fffffff
  return String(binary % 10 ** digits).padStart(digits, '0')
}

/** The time step of an instant (RFC 6238 §4.2, T0 = 0). */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS)
}

/** The code an authenticator shows at `at`. */
export function totpCode(secret: Buffer, at: Date, digits = TOTP_DIGITS, algorithm = 'sha1'): string {
  return hotp(secret, totpStep(at), digits, algorithm)
}

/**
 * The step a code matches within ±1 step of `at`, newest first, skipping steps at or before
 * `afterStep` (the last accepted one: a code is accepted once); null when none matches.
 */
export function matchTotp(secret: Buffer, code: string, at: Date, afterStep = 0): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const current = totpStep(at)
  for (let step = current + WINDOW_STEPS; step >= current - WINDOW_STEPS; step--) {
    if (step <= afterStep) continue
    // Both sides are 6 ASCII digits: comparing them leaks nothing a throttled guesser could use.
    if (hotp(secret, step) === code) return step
  }
  return null
}

/** The otpauth:// URI authenticator apps read from the QR code (Key Uri Format). */
export function otpauthUri(input: { issuer: string; account: string; secret: string }): string {
  // A colon separates issuer and account in the label: neither may carry one of its own.
  const issuer = input.issuer.replace(/:/g, ' ').trim()
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(input.account.replace(/:/g, ' '))}`
  const query = new URLSearchParams({
    secret: input.secret,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  })
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`
}

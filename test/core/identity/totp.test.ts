import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totpCode, totpStep } from '../../../src/core/identity/totp.js'
import { seal, unseal } from '../../../src/core/identity/sealing.js'

// RFC 6238 Appendix B: the seeds are the ASCII digits "1234567890" repeated to the hash's size.
const SEED = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
}
const VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
]

describe('TOTP (RFC 6238)', () => {
  it('gives the Appendix B values for SHA-1, SHA-256 and SHA-512 at 8 digits', () => {
    for (const [seconds, sha1, sha256, sha512] of VECTORS) {
      const at = new Date(seconds * 1000)
      expect(totpCode(SEED.sha1, at, 8, 'sha1')).toBe(sha1)
      expect(totpCode(SEED.sha256, at, 8, 'sha256')).toBe(sha256)
      expect(totpCode(SEED.sha512, at, 8, 'sha512')).toBe(sha512)
    }
  })

  it('gives the RFC 4226 Appendix D HOTP values at 6 digits', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']
    expect(expected.map((_, counter) => hotp(SEED.sha1, counter))).toEqual(expected)
  })

  it('accepts the code of the step before and after, newest first, and nothing at or before the last accepted step', () => {
    const at = new Date(1_700_000_000_000)
    const step = totpStep(at)
    const code = (s: number) => hotp(SEED.sha1, s)
    expect(matchTotp(SEED.sha1, code(step), at)).toBe(step)
    expect(matchTotp(SEED.sha1, code(step - 1), at)).toBe(step - 1)
    expect(matchTotp(SEED.sha1, code(step + 1), at)).toBe(step + 1)
    expect(matchTotp(SEED.sha1, code(step - 2), at)).toBeNull()
    expect(matchTotp(SEED.sha1, code(step + 2), at)).toBeNull()
    // Replay: the step was accepted already.
    expect(matchTotp(SEED.sha1, code(step), at, step)).toBeNull()
    expect(matchTotp(SEED.sha1, code(step - 1), at, step - 1)).toBeNull()
    expect(matchTotp(SEED.sha1, code(step + 1), at, step)).toBe(step + 1)
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 12345']) expect(matchTotp(SEED.sha1, bad, at)).toBeNull()
  })

  it('encodes base32 as RFC 4648 §10 and decodes it back, ignoring case, spaces and padding', () => {
    const cases: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']]
    for (const [plain, encoded] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded)
      expect(base32Decode(encoded.toLowerCase()).toString()).toBe(plain)
    }
    expect(base32Decode('MZXW 6YTB OI======').toString()).toBe('foobar')
    expect(() => base32Decode('MZ1W')).toThrow(/base32/)
  })

  it('writes the otpauth URI with issuer and account, no colon of their own in the label', () => {
    const uri = otpauthUri({ issuer: 'Contábil: Silva & Filhos', account: 'ana', secret: 'JBSWY3DPEHPK3PXP' })
    expect(uri).toMatch(/^otpauth:\/\/totp\/Cont%C3%A1bil%20%20Silva%20%26%20Filhos:ana\?/)
    const query = new URL(uri.replace('otpauth://', 'https://')).searchParams
    expect(Object.fromEntries(query)).toEqual({
      secret: 'JBSWY3DPEHPK3PXP',
      issuer: 'Contábil  Silva & Filhos',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
  })
})

describe('sealing (AES-256-GCM under an HKDF key)', () => {
  const key = Buffer.alloc(32, 7)
  const other = Buffer.alloc(32, 8)

  it('opens only under the same key, purpose and context, and never holds the clear text', () => {
    const secret = Buffer.from('segredo do totp de ana')
    const sealed = seal(key, 'p', 'user:1', secret)
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(sealed).not.toContain(secret.toString('base64url'))
    expect(seal(key, 'p', 'user:1', secret)).not.toBe(sealed)
    expect(unseal(key, 'p', 'user:1', sealed).equals(secret)).toBe(true)
    expect(() => unseal(other, 'p', 'user:1', sealed)).toThrow()
    expect(() => unseal(key, 'q', 'user:1', sealed)).toThrow()
    expect(() => unseal(key, 'p', 'user:2', sealed)).toThrow()
    const parts = sealed.split('.')
    const flipped = Buffer.from(parts[2], 'base64url')
    flipped[0] ^= 1
    expect(() => unseal(key, 'p', 'user:1', [parts[0], parts[1], flipped.toString('base64url'), parts[3]].join('.'))).toThrow()
    expect(() => unseal(key, 'p', 'user:1', 'texto qualquer')).toThrow(/not a sealed value/)
  })
})

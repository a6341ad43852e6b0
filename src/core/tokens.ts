import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConfiError } from './errors.js'

/** The secret that link tokens are derived from; kept in a file outside the database. */
export type SecretKey = Buffer

/** A url-safe random token of `bytes` bytes from the CSPRNG (default 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** SHA-256 in hex: what the database keeps of a token instead of the token. */
export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex')
}

/**
 * A link token derived from the secret key: HMAC-SHA-256 over the purpose and the parts, 256
 * bits, url-safe. The same inputs give the same token, so a link can be printed again without
 * being stored; a database dump without the key reveals no usable token.
 */
export function deriveToken(key: SecretKey, purpose: string, ...parts: (string | number)[]): string {
  return createHmac('sha256', key).update([purpose, ...parts].join('\u0000')).digest('base64url')
}

/** True when `token` looks like one of ours (43 url-safe characters): cheap to refuse others. */
export function isTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}

// Any run of exactly 43 url-safe characters: the shape of every link, session and reset token.
const TOKEN_RUN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g

/**
 * `text` with every token-shaped run replaced by `[token]`: error lines quote request paths
 * (`/d/<token>`, `/reset/<token>`), and a log must never hand out a working link (docs/security.md).
 */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_RUN, '[token]')
}

/** Compares two strings in constant time (for tokens). */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Reads the secret key file, or creates it (mode 0600) when `create` is set and it is missing. */
export function loadSecretKey(path: string, options: { create?: boolean } = {}): SecretKey {
  try {
    return parseKey(readFileSync(path, 'utf8'), path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw keyError(error, path)
    if (!options.create) {
      throw new ConfiError(
        `the secret key file ${path} is missing: run 'confi init', or set CONFI_SECRET_FILE to the firm's key file`,
      )
    }
  }
  return createKeyFile(path)
}

function parseKey(text: string, path: string): SecretKey {
  const hex = text.trim()
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ConfiError(
      `the secret key file ${path} is damaged (expected 64 hex characters): restore it from a backup`,
    )
  }
  return Buffer.from(hex, 'hex')
}

function createKeyFile(path: string): SecretKey {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  let fd: number
  try {
    // 'wx': if another process created it meanwhile, use theirs instead of overwriting it.
    fd = openSync(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadSecretKey(path)
    throw keyError(error, path)
  }
  try {
    writeSync(fd, `${key.toString('hex')}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return key
}

function keyError(error: unknown, path: string): ConfiError {
  if (error instanceof ConfiError) return error
  return new ConfiError(`cannot read the secret key file ${path}: ${(error as Error).message}`)
}

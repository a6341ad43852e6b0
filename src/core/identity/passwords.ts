import { ValidationError } from '../errors.js'

export const MIN_PASSWORD_BYTES = 8
// bcrypt reads at most 72 bytes; a longer password is refused rather than silently truncated.
export const MAX_PASSWORD_BYTES = 72

/** Hashes and checks passwords; the portal passes a worker-thread pool so logins do not stall it. */
export interface PasswordHasher {
  hash(password: string, cost: number): Promise<string>
  verify(password: string, hash: string): Promise<boolean>
}

/** Hashing on the calling thread: right for the CLI, which does one hash and exits. */
// bcryptjs loads with the first hash, not with core (docs/performance.md, "CLI start-up").
export const inlineHasher: PasswordHasher = {
  hash: async (password, cost) => (await import('bcryptjs')).default.hash(password, cost),
  verify: async (password, hash) => (await import('bcryptjs')).default.compare(password, hash),
}

/**
 * Throws a ValidationError unless a new password was typed the same twice: a typo in a masked
 * field would otherwise lock its owner out. Check it before anything is saved.
 */
export function confirmPassword(password: string, repeated: string): void {
  if (password !== repeated) {
    throw new ValidationError('the two passwords differ: type the same password twice', { reason: 'password_mismatch' })
  }
}

/** Throws a ValidationError unless the password is 8 to 72 UTF-8 bytes. */
export function validatePassword(password: string): void {
  const bytes = Buffer.byteLength(password, 'utf8')
  if (bytes < MIN_PASSWORD_BYTES) {
    throw new ValidationError(
      `the password is too short (${bytes} bytes): use at least ${MIN_PASSWORD_BYTES} characters`,
      { reason: 'password_too_short' },
    )
  }
  if (bytes > MAX_PASSWORD_BYTES) {
    throw new ValidationError(
      `the password is too long (${bytes} bytes): use at most ${MAX_PASSWORD_BYTES} bytes (fewer accented characters count as 2 bytes)`,
      { reason: 'password_too_long', amount: charactersOver(password) },
    )
  }
}

// How many characters, deleted from the end, bring a password within MAX_PASSWORD_BYTES: the count
// a person can act on, without knowing that accented letters take two bytes.
function charactersOver(password: string): number {
  let bytes = Buffer.byteLength(password, 'utf8')
  const characters = [...password]
  let over = 0
  while (bytes > MAX_PASSWORD_BYTES) {
    bytes -= Buffer.byteLength(characters.pop()!, 'utf8')
    over += 1
  }
  return over
}

/** The cost a bcrypt hash was made with, to upgrade hashes when the firm raises it. */
export function hashCost(hash: string): number {
  return Number(hash.split('$')[2])
}

// Verifying against this when the user does not exist makes "unknown user" take as long as
// "wrong password" (docs/rules.md#portal-security).
export const DUMMY_HASH = '$2b$11$0Calg0mJxwSW8WgCiKXm8eU52agmaqSTUVE7cYJx7maPLGBSwoeqy'

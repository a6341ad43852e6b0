import { ValidationError } from '../errors.js'

// E-mail addresses as the firm, its clients and their users type them.

/** Trims an e-mail address and checks its shape; empty means none. */
export function normaliseEmail(input: string | null | undefined): string | null {
  if (input == null) return null
  const email = input.trim()
  if (email === '') return null
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new ValidationError(
      `'${input}' is not a valid e-mail address: expected something like nome@empresa.com.br`,
      { reason: 'email_invalid' },
    )
  }
  return email
}

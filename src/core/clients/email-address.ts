import { ValidationError } from '../errors.js'
import { hasUnsafeCharacters } from '../text-input.js'

// E-mail addresses as the firm, its clients and their users type them (docs/rules.md#data).

// What a mail program copies: `<ana@x.com>` or `Ana Souza <ana@x.com>`. A name with `@`, `,` or
// `;` must be quoted: unquoted, `a@x.com, <b@y.com>` is a list of two addresses, not a name.
const BRACKETED = /^(?:(?:"[^"\\\r\n]*"|[^"@,;:<>()\\\r\n]*?)\s*)?<([^<>]*)>$/
// Characters with a meaning in a header's address list (or none in an address people type):
// an address holding one would be read as another address, a group or a comment.
const SPECIAL = /[\s<>()[\]\\,;:"]/

/**
 * The bare address of what a person typed or pasted, or null when empty: one enclosing pair of
 * angle brackets, with the display name before it, is dropped; any other address-list syntax
 * (a second address, a comment, quotes) and anything not shaped like `nome@empresa.com.br` is a
 * ValidationError. The stored address is then the one form every header and comparison uses.
 */
export function normaliseEmail(input: string | null | undefined): string | null {
  if (input == null) return null
  const typed = input.trim()
  if (typed === '') return null
  const email = (BRACKETED.exec(typed)?.[1] ?? typed).trim()
  if (email.length > 254 || SPECIAL.test(email) || hasUnsafeCharacters(email) || !/^[^@]+@[^@]+\.[^@]+$/.test(email)) {
    throw new ValidationError(
      `'${input}' is not a valid e-mail address: expected something like nome@empresa.com.br`,
      { reason: 'email_invalid' },
    )
  }
  return email
}

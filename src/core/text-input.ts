import { ValidationError } from './errors.js'

// Characters no name, title or file name needs and that can harm whoever reads them later
// (docs/rules.md#text-input): C0 and C1 controls (a terminal obeys ESC sequences), the bidi
// embeddings, overrides and isolates (they reorder what a reader sees, e.g. "fdp.exe" shown as
// "exe.pdf"), the bidi and invisible marks (U+061C, U+200E, U+200F steer the reordering too; a
// soft hyphen, zero-width space, joiner or word joiner, U+180E, the invisible operators and the
// BOM make two names that read alike differ) and the Unicode line and paragraph separators (they
// break a line where none shows).
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u2028\u2029\ufeff]/
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g')

/** Whether `value` holds a character that `checkPlainText` refuses. */
export function hasUnsafeCharacters(value: string): boolean {
  return UNSAFE.test(value)
}

/**
 * `value` unchanged when it holds no control, bidi or separator character; else a
 * ValidationError naming the field (`what`) and the character's code point.
 */
export function checkPlainText(value: string, what: string): string {
  const found = UNSAFE.exec(value)
  if (!found) return value
  const code = `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
  throw new ValidationError(
    `the ${what} contains an invisible control character (${code}): type it again without it`,
    { reason: 'control_character' },
  )
}

/** `value` without any of the characters `checkPlainText` refuses (for names taken from files). */
export function stripUnsafe(value: string): string {
  return value.replace(UNSAFE_ALL, '')
}

/**
 * `value` with each unsafe character shown as a visible escape (`\u001b`), for a terminal: a
 * name stored before these checks must not clear or retitle the accountant's screen.
 */
export function escapeUnsafe(value: string): string {
  return value.replace(
    UNSAFE_ALL,
    (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  )
}

// JavaScript's `\s` and trim() count U+FEFF as whitespace: left out here, so that a BOM pasted
// into a name is refused by checkPlainText instead of silently becoming a space.
const SPACES = /[^\S\ufeff]+/g
const END_SPACES = /^[^\S\ufeff]+|[^\S\ufeff]+$/g

/** `value` without whitespace at either end (a BOM is kept for `checkPlainText` to refuse). */
export function trimSpaces(value: string): string {
  return value.replace(END_SPACES, '')
}

/** `value` trimmed with each inner run of whitespace made one space (a BOM is kept, as above). */
export function collapseSpaces(value: string): string {
  return trimSpaces(value).replace(SPACES, ' ')
}

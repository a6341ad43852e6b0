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
const hex4 = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`

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
  return value.replace(UNSAFE_ALL, (ch) => hex4(ch.codePointAt(0)!))
}

// The unsafe characters but tab, CR and LF: the separators of lines and cells in CSV, JSON and
// NDJSON, which those formats quote or escape themselves inside a value.
const UNSAFE_IN_LINES = new RegExp(UNSAFE.source.replace('\\u0000-\\u001f', '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f'), 'g')

/**
 * Formatted output (CSV, JSON, NDJSON lines) with each unsafe character but tab, CR and LF written
 * as a visible `\u009b`: in JSON a valid escape that reads back as the character, in CSV text for
 * people (docs/rules.md#text-input). JSON.stringify escapes C0 itself, never C1 or the marks.
 */
export function escapeUnsafeInLines(text: string): string {
  return text.replace(UNSAFE_IN_LINES, (ch) => hex4(ch.codePointAt(0)!))
}

// The same characters as UTF-8 bytes, one latin1 character per byte (PostgreSQL's COPY output is
// handled as bytes, never decoded): a lead byte never follows a lead byte's own continuation, so
// each match is exactly one encoded character. test/core/text-input.test.ts checks it against
// UNSAFE_IN_LINES over every BMP character.
const UNSAFE_IN_UTF8 = new RegExp(
  [
    '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]', // C0 but tab, LF, CR; DEL
    '\\xc2[\\x80-\\x9f\\xad]', // C1, soft hyphen
    '\\xd8\\x9c', // U+061C
    '\\xe1\\xa0\\x8e', // U+180E
    '\\xe2\\x80[\\x8b-\\x8f\\xa8-\\xae]', // U+200B-U+200F, U+2028-U+202E
    '\\xe2\\x81[\\xa0-\\xa4\\xa6-\\xa9]', // U+2060-U+2064, U+2066-U+2069
    '\\xef\\xbb\\xbf', // U+FEFF
  ].join('|'),
  'g',
)

/** `escapeUnsafeInLines` over UTF-8 bytes held as a latin1 string; the result stays bytes. */
export function escapeUnsafeInUtf8Bytes(bytes: string): string {
  return bytes.replace(UNSAFE_IN_UTF8, (seq) => hex4(Buffer.from(seq, 'latin1').toString('utf8').codePointAt(0)!))
}

// The bytes that can start an unsafe character in UTF-8: C0 but tab, LF and CR; DEL; the lead
// bytes of UNSAFE_IN_UTF8's sequences.
const UNSAFE_LEAD_BYTES = [
  ...Array.from({ length: 0x20 }, (_, b) => b).filter((b) => b !== 0x09 && b !== 0x0a && b !== 0x0d),
  0x7f,
  0xc2,
  0xd8,
  0xe1,
  0xe2,
  0xef,
]

/**
 * `escapeUnsafeInLines` over UTF-8 bytes: `bytes` itself when none of them can start an unsafe
 * character (the usual case). Found with one native search per byte value (memchr, 35 passes at
 * memory speed) instead of a latin1 copy and a regular expression, or a JavaScript loop over every
 * byte (a fresh process runs it cold: 7 against 1 ms over `clients list --json`'s 2.9 MB).
 */
export function escapeUnsafeInUtf8Buffer(bytes: Buffer): Buffer {
  if (!UNSAFE_LEAD_BYTES.some((b) => bytes.includes(b))) return bytes
  return Buffer.from(escapeUnsafeInUtf8Bytes(bytes.toString('latin1')), 'latin1')
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

import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../src/core/errors.js'
import {
  checkPlainText,
  collapseSpaces,
  escapeUnsafe,
  escapeUnsafeInLines,
  escapeUnsafeInUtf8Bytes,
  escapeUnsafeInUtf8Buffer,
  stripUnsafe,
  trimSpaces,
} from '../../src/core/text-input.js'

// docs/rules.md#text-input: one class of characters, refused in names, stripped from file
// names, escaped on output.

const MARKS = ['\u00ad', '\u061c', '\u180e', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\u2061', '\u2062', '\u2063', '\u2064', '\ufeff']

describe('the unsafe characters', () => {
  it('refuses C0, C1, bidi controls and the invisible and bidi marks, naming the code point', () => {
    for (const ch of ['\u0000', '\u001b', '\u007f', '\u0080', '\u0085', '\u009b', '\u009f', '\u202e', '\u2066', ...MARKS]) {
      expect(() => checkPlainText(`Ana${ch}Souza`, 'name'), escape(ch)).toThrow(ValidationError)
    }
    expect(() => checkPlainText('Ana\u200bSouza', 'name')).toThrow('(U+200B)')
    expect(() => checkPlainText('\ufeffAna', 'name')).toThrow('(U+FEFF)')
  })

  it('lets ordinary text through: accents, other scripts, emoji without joiners', () => {
    for (const ok of ['Padaria Pão Quente Ltda', 'José Ñúñez', 'Ελληνικά', 'شركة', '日本語', 'Café ☕', 'x\u00a0y']) {
      expect(checkPlainText(ok, 'name')).toBe(ok)
    }
  })

  it('keeps a BOM for the check instead of treating it as whitespace', () => {
    expect(collapseSpaces('  Ana \t  Souza \u2028')).toBe('Ana Souza')
    expect(collapseSpaces('\ufeffAna')).toBe('\ufeffAna')
    expect(trimSpaces(' Ana  Souza\ufeff ')).toBe('Ana  Souza\ufeff')
  })

  it('strips them from file names and escapes them for a terminal', () => {
    expect(stripUnsafe('nota\u200b\u202efdp.exe')).toBe('notafdp.exe')
    expect(escapeUnsafe('a\u009bb\u00adc')).toBe('a\\u009bb\\u00adc')
  })

  it('escapes them in formatted lines, keeping tab, CR and LF', () => {
    expect(escapeUnsafeInLines('a\tb\r\nc\u0085d\u001be\u200bf\u2028')).toBe('a\tb\r\nc\\u0085d\\u001be\\u200bf\\u2028')
    const json = JSON.stringify({ ua: 'x\u009b\u0007\ufeff' })
    expect(JSON.parse(escapeUnsafeInLines(json))).toEqual({ ua: 'x\u009b\u0007\ufeff' })
  })

  it('escapes exactly the same characters in UTF-8 bytes as in text, for every BMP character', () => {
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue
      const ch = String.fromCharCode(code)
      const bytes = Buffer.from(`a${ch}b`, 'utf8').toString('latin1')
      const fromBytes = Buffer.from(escapeUnsafeInUtf8Bytes(bytes), 'latin1').toString('utf8')
      if (fromBytes !== escapeUnsafeInLines(`a${ch}b`)) expect.fail(`U+${code.toString(16)}`)
    }
  })

  it('escapes the same in a Buffer, and hands back the Buffer itself when nothing is unsafe', () => {
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue
      const text = `a${String.fromCharCode(code)}b`
      if (escapeUnsafeInUtf8Buffer(Buffer.from(text)).toString('utf8') !== escapeUnsafeInLines(text)) expect.fail(`U+${code.toString(16)}`)
    }
    const plain = Buffer.from('{"name": "Padaria Pão Quente – Nº 1 😀"}\n')
    expect(escapeUnsafeInUtf8Buffer(plain).toString()).toBe(plain.toString())
    const safe = Buffer.from('[\n  {"name": "Pão"}\n]')
    expect(escapeUnsafeInUtf8Buffer(safe)).toBe(safe)
  })
})

function escape(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16)}`
}

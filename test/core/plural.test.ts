// Counts in the CLI's English: "1 minute", "2 minutes" (docs/rules.md#command-line).
import { describe, expect, it } from 'vitest'
import { countOf } from '../../src/core/plural.js'

describe('counts in English', () => {
  it('says "1 minute" and "2 minutes"', () => {
    expect(countOf(1, 'minute')).toBe('1 minute')
    expect(countOf(2, 'attempt')).toBe('2 attempts')
    expect(countOf(0, 'hour')).toBe('0 hours')
    expect(countOf(1, 'entry', 'entries')).toBe('1 entry')
  })
})

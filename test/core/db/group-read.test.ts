import { describe, expect, it } from 'vitest'
import { groupReads } from '../../../src/core/db/group-read.js'

// The group read of the gated download (core/db/group-read.ts): what goes out together, what each
// caller gets back, and that one caller's failure stays its own.

/** A readAll whose calls stay open until `answer()`: records each group it was given. */
function controlledReader(fail: (key: number) => boolean = () => false) {
  const groups: number[][] = []
  const open: (() => void)[] = []
  const readAll = (keys: readonly number[]) =>
    new Promise<string[]>((resolve, reject) => {
      groups.push([...keys])
      open.push(() => (keys.some(fail) ? reject(new Error(`bad key among ${keys.join(',')}`)) : resolve(keys.map((k) => `row ${k}`))))
    })
  const answer = async () => {
    while (open.length === 0) await new Promise((r) => setTimeout(r, 0))
    open.shift()!()
    await new Promise((r) => setTimeout(r, 0))
  }
  return { groups, readAll, answer }
}

describe('groupReads', () => {
  it('sends the first read alone and the ones arriving meanwhile together, after it answers, each with its own result', async () => {
    const r = controlledReader()
    const read = groupReads(r.readAll, 64)
    const first = read(1)
    const later = [read(2), read(3), read(4)]
    expect(r.groups).toEqual([[1]])
    await r.answer()
    expect(r.groups).toEqual([[1], [2, 3, 4]])
    const last = read(5)
    await r.answer()
    await r.answer()
    expect(await first).toBe('row 1')
    expect(await Promise.all(later)).toEqual(['row 2', 'row 3', 'row 4'])
    expect(await last).toBe('row 5')
    expect(r.groups).toEqual([[1], [2, 3, 4], [5]])
  })

  it('keeps groups to the limit', async () => {
    const r = controlledReader()
    const read = groupReads(r.readAll, 2)
    const all = [1, 2, 3, 4, 5].map(read)
    for (let i = 0; i < 3; i++) await r.answer()
    expect(await Promise.all(all)).toEqual(['row 1', 'row 2', 'row 3', 'row 4', 'row 5'])
    expect(r.groups).toEqual([[1], [2, 3], [4, 5]])
  })

  it('reads each key of a failed group alone: only the failing one is refused', async () => {
    const r = controlledReader((key) => key === 3)
    const read = groupReads(r.readAll, 64)
    const results = [1, 2, 3, 4].map((k) => read(k).catch((error: Error) => error.message))
    for (let i = 0; i < 5; i++) await r.answer()
    expect(await Promise.all(results)).toEqual(['row 1', 'row 2', 'bad key among 3', 'row 4'])
    expect(r.groups).toEqual([[1], [2, 3, 4], [2], [3], [4]])
    // The reader goes on after a failure.
    const after = read(6)
    await r.answer()
    expect(await after).toBe('row 6')
  })
})

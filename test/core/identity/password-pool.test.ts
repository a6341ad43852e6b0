import { afterAll, describe, expect, it } from 'vitest'
import bcrypt from 'bcryptjs'
import { ThrottledError } from '../../../src/core/errors.js'
import { createPasswordPool, defaultPoolSize } from '../../../src/core/identity/password-pool.js'

describe('password pool', () => {
  it('leaves one core to the rest of the server, and keeps at least one thread', () => {
    expect([1, 2, 4, 16].map((cores) => defaultPoolSize(cores))).toEqual([1, 1, 3, 15])
  })

  const pool = createPasswordPool(2)
  afterAll(async () => {
    await pool.close()
  })

  it('hashes and verifies on worker threads, compatible with bcryptjs, without stalling the event loop', async () => {
    const hash = await pool.hash('senha-segura-1', 10)
    expect(await bcrypt.compare('senha-segura-1', hash)).toBe(true)
    expect(await pool.verify('senha-segura-1', hash)).toBe(true)
    expect(await pool.verify('outra', hash)).toBe(false)
    // What six verifies cost on this thread, measured now: the yardstick for a stall, so a loaded
    // machine slows both sides alike (no fixed milliseconds).
    const inlineStart = Date.now()
    for (let i = 0; i < 6; i++) bcrypt.compareSync('senha-segura-1', hash)
    const inlineMs = Date.now() - inlineStart
    let maxGap = 0
    let ticks = 0
    let last = Date.now()
    const timer = setInterval(() => {
      const now = Date.now()
      maxGap = Math.max(maxGap, now - last)
      ticks += 1
      last = now
    }, 5)
    await Promise.all(Array.from({ length: 6 }, () => pool.verify('senha-segura-1', hash)))
    clearInterval(timer)
    // Inline, the loop would stall for all six verifies at once; on the workers it keeps ticking.
    expect(ticks).toBeGreaterThan(2)
    expect(maxGap).toBeLessThan(inlineMs / 2)
  })

  it('refuses jobs beyond its queue bound with a ThrottledError instead of queueing without end', async () => {
    const small = createPasswordPool(1, { maxQueued: 3 })
    try {
      const hash = await small.hash('senha-segura-1', 10)
      // One job runs, three wait; the rest are refused at once.
      const jobs = Array.from({ length: 10 }, () => small.verify('senha-segura-1', hash))
      const results = await Promise.allSettled(jobs)
      const refused = results.filter((r) => r.status === 'rejected')
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4)
      expect(refused).toHaveLength(6)
      for (const r of refused) {
        const reason = (r as PromiseRejectedResult).reason
        expect(reason).toBeInstanceOf(ThrottledError)
        expect(reason.retryAfterSeconds).toBeGreaterThan(0)
      }
      // Once the queue drains the pool serves again.
      expect(await small.verify('senha-segura-1', hash)).toBe(true)
    } finally {
      await small.close()
    }
  })
})

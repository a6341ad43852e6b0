import { afterAll, describe, expect, it } from 'vitest'
import bcrypt from 'bcryptjs'
import { ThrottledError } from '../../src/core/errors.js'
import { createPasswordPool } from '../../src/core/identity/password-pool.js'

describe('password pool', () => {
  const pool = createPasswordPool(2)
  afterAll(async () => {
    await pool.close()
  })

  it('hashes and verifies on worker threads, compatible with bcryptjs, without stalling the event loop', async () => {
    const hash = await pool.hash('senha-segura-1', 10)
    expect(await bcrypt.compare('senha-segura-1', hash)).toBe(true)
    expect(await pool.verify('senha-segura-1', hash)).toBe(true)
    expect(await pool.verify('outra', hash)).toBe(false)
    let maxGap = 0
    let last = Date.now()
    const timer = setInterval(() => {
      const now = Date.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
    }, 5)
    await Promise.all(Array.from({ length: 6 }, () => pool.verify('senha-segura-1', hash)))
    clearInterval(timer)
    // One hash is ~70 ms; six inline would block for ~400 ms.
    expect(maxGap).toBeLessThan(150)
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

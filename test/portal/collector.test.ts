// `confi serve` sets V8's heap growing factor at run time (portal/collector.ts): the portal's
// threads, started after it, must still start and work (a V8 flag among execArgv stops them).
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { tuneCollectorForServing } from '../../src/portal/collector.js'

describe('tuneCollectorForServing', () => {
  it('can be called again, and a thread started afterwards runs', async () => {
    tuneCollectorForServing()
    tuneCollectorForServing()
    const worker = new Worker('require("node:worker_threads").parentPort.postMessage(Buffer.alloc(1 << 20).length)', { eval: true })
    const answer = await new Promise((ok, fail) => {
      worker.once('message', ok)
      worker.once('error', fail)
    })
    await worker.terminate()
    expect(answer).toBe(1 << 20)
  })
})

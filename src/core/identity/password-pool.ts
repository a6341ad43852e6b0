import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { ThrottledError } from '../errors.js'
import type { PasswordHasher } from './passwords.js'

/** A PasswordHasher that runs bcryptjs on worker threads; `close()` stops the workers. */
export interface PasswordPool extends PasswordHasher {
  close(): Promise<void>
}

interface Task {
  id: number
  op: 'hash' | 'verify'
  password: string
  arg: string | number
  resolve: (value: string | boolean) => void
  reject: (error: Error) => void
}

interface Slot {
  worker: Worker
  task: Task | null
}

// Inline worker source (no separate file to compile or locate): it imports bcryptjs from the
// URL the main thread resolved, so it works the same from dist/ and under the test runner.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
// On Linux this lowers only this thread's priority: when logins and downloads compete for the
// cores, the event loop serving downloads wins and hashing takes the slack.
try { require('node:os').setPriority(10) } catch {}
import(workerData.bcryptUrl).then((mod) => {
  const bcrypt = mod.default ?? mod
  parentPort.on('message', (msg) => {
    const run = msg.op === 'hash'
      ? bcrypt.hash(msg.password, msg.arg)
      : bcrypt.compare(msg.password, msg.arg)
    Promise.resolve(run).then(
      (value) => parentPort.postMessage({ id: msg.id, value }),
      (error) => parentPort.postMessage({ id: msg.id, error: String(error && error.message || error) }),
    )
  })
  parentPort.postMessage({ ready: true })
})
`

export interface PasswordPoolOptions {
  /** Jobs allowed to wait for a worker; beyond it a job is refused with a ThrottledError. */
  maxQueued?: number
}

// 64 waiting jobs at ~145 ms on 2 workers is about 5 s of work: a burst beyond that would only
// grow memory and every login's latency, so it is refused at once (429 + Retry-After).
const DEFAULT_MAX_QUEUED = 64

/**
 * Hashing threads for this machine: one core fewer than it has, at least one. A burst of logins
 * then never takes every core from the downloads and pages being served (docs/decisions.md,
 * "Password hashing leaves a core free").
 */
export function defaultPoolSize(cores = availableParallelism()): number {
  return Math.max(1, cores - 1)
}

/**
 * A small pool of worker threads hashing with bcryptjs. bcryptjs's async API still runs on the
 * main thread and stalls it for the whole hash (docs/performance.md: 0.6 s at 8 concurrent logins);
 * workers keep the event loop free for downloads.
 */
export function createPasswordPool(size = defaultPoolSize(), options: PasswordPoolOptions = {}): PasswordPool {
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED
  const bcryptUrl = import.meta.resolve('bcryptjs')
  const queue: Task[] = []
  const slots: Slot[] = []
  let nextId = 1
  let closed = false

  const spawn = (): Slot => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptUrl } })
    const slot: Slot = { worker, task: null }
    worker.unref()
    worker.on('message', (msg: { id?: number; value?: string | boolean; error?: string }) => {
      if (msg.id === undefined) return
      const task = slot.task
      slot.task = null
      worker.unref()
      if (task && task.id === msg.id) {
        if (msg.error !== undefined) task.reject(new Error(msg.error))
        else task.resolve(msg.value as string | boolean)
      }
      dispatch()
    })
    worker.on('error', (error) => {
      const task = slot.task
      slot.task = null
      task?.reject(error)
      const index = slots.indexOf(slot)
      if (index >= 0 && !closed) slots[index] = spawn()
      dispatch()
    })
    return slot
  }

  const dispatch = (): void => {
    for (const slot of slots) {
      if (queue.length === 0) return
      if (slot.task) continue
      const task = queue.shift() as Task
      slot.task = task
      // Keep the process alive only while a hash is in flight.
      slot.worker.ref()
      slot.worker.postMessage({ id: task.id, op: task.op, password: task.password, arg: task.arg })
    }
  }

  const submit = <T extends string | boolean>(op: Task['op'], password: string, arg: string | number) =>
    new Promise<T>((resolve, reject) => {
      if (closed) return reject(new Error('the password pool is closed'))
      if (queue.length >= maxQueued) {
        return reject(
          new ThrottledError('too many password checks at once: try again in a moment', 1),
        )
      }
      queue.push({
        id: nextId++,
        op,
        password,
        arg,
        resolve: resolve as (value: string | boolean) => void,
        reject,
      })
      dispatch()
    })

  for (let i = 0; i < size; i++) slots.push(spawn())

  return {
    hash: (password, cost) => submit<string>('hash', password, cost),
    verify: (password, hash) => submit<boolean>('verify', password, hash),
    async close() {
      closed = true
      for (const task of queue.splice(0)) task.reject(new Error('the password pool is closed'))
      await Promise.all(slots.map((slot) => slot.worker.terminate()))
    },
  }
}

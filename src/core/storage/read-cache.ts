import type { DeleteOutcome, FileStore } from './file-store.js'

/** Limits of `withReadCache`: total bytes kept, and the largest file worth keeping. */
export interface ReadCacheOptions {
  maxBytes?: number
  maxFileBytes?: number
  /** How stale a hit may be after another process deletes its file (default 1000 ms, docs/privacy.md). */
  markCheckMs?: number
}

/**
 * A store whose `read` keeps recently read files in memory, least recently used evicted first,
 * within `maxBytes` (default 64 MB; files over `maxFileBytes`, default 1 MB, are never kept).
 * Safe because keys are content addresses: the bytes at a key never change, so a cached copy is
 * the exact file for as long as the key is in use. Concurrent misses of one key share one read.
 * Reading a 100 KB file costs four thread-pool round trips (open, stat, read, close); a hit costs
 * none, which is most of what the portal's download path spends after the database.
 * A retention run deletes files, maybe in another process sharing the store: a hit first compares
 * the store's deletion mark, read at most once a `markCheckMs`, and forgets everything when it
 * changed (deletions are a nightly batch, so a cold cache once a night costs nothing).
 */
export function withReadCache<S extends FileStore>(store: S, options: ReadCacheOptions = {}): S {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024
  const maxFileBytes = Math.min(options.maxFileBytes ?? 1024 * 1024, maxBytes)
  // Map keeps insertion order: the first entry is the least recently used.
  const kept = new Map<string, Buffer>()
  const reading = new Map<string, Promise<Buffer>>()
  let bytes = 0
  const markCheckMs = options.markCheckMs ?? 1000
  let mark: Promise<string> | null = null
  let markReadAt = 0

  const forgetAll = (): void => {
    kept.clear()
    bytes = 0
  }

  // Resolves once the cache holds nothing the store has deleted since the last look.
  const fresh = (): Promise<void> => {
    const now = Date.now()
    if (mark && now - markReadAt < markCheckMs) return Promise.resolve()
    const before = mark
    markReadAt = now
    mark = store.deletionMark()
    return Promise.all([before, mark]).then(([old, current]) => {
      if (old !== current) forgetAll()
    })
  }

  const keep = (key: string, content: Buffer): void => {
    if (content.length > maxFileBytes || kept.has(key)) return
    kept.set(key, content)
    bytes += content.length
    for (const [oldKey, old] of kept) {
      if (bytes <= maxBytes) break
      kept.delete(oldKey)
      bytes -= old.length
    }
  }

  const read = async (key: string): Promise<Buffer> => {
    await fresh()
    const hit = kept.get(key)
    if (hit) {
      kept.delete(key)
      kept.set(key, hit)
      return hit
    }
    let pending = reading.get(key)
    if (!pending) {
      pending = store.read(key).then(
        (content) => {
          reading.delete(key)
          keep(key, content)
          return content
        },
        (error: unknown) => {
          reading.delete(key)
          throw error
        },
      )
      reading.set(key, pending)
    }
    return pending
  }

  const remove = async (key: string, options?: { unlessNewerThanMs?: number }): Promise<DeleteOutcome> => {
    const removed = await store.delete(key, options)
    const content = kept.get(key)
    if (removed !== 'recent' && content) {
      kept.delete(key)
      bytes -= content.length
    }
    return removed
  }

  return Object.assign(Object.create(store) as S, { read, delete: remove })
}

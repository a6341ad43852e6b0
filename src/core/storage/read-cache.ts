import type { FileStore } from './file-store.js'

/** Limits of `withReadCache`: total bytes kept, and the largest file worth keeping. */
export interface ReadCacheOptions {
  maxBytes?: number
  maxFileBytes?: number
}

/**
 * A store whose `read` keeps recently read files in memory, least recently used evicted first,
 * within `maxBytes` (default 64 MB; files over `maxFileBytes`, default 1 MB, are never kept).
 * Safe because keys are content addresses: the bytes at a key never change, so a cached copy is
 * the exact file for as long as the key is in use. Concurrent misses of one key share one read.
 * Reading a 100 KB file costs four thread-pool round trips (open, stat, read, close); a hit costs
 * none, which is most of what the portal's download path spends after the database.
 */
export function withReadCache<S extends FileStore>(store: S, options: ReadCacheOptions = {}): S {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024
  const maxFileBytes = Math.min(options.maxFileBytes ?? 1024 * 1024, maxBytes)
  // Map keeps insertion order: the first entry is the least recently used.
  const kept = new Map<string, Buffer>()
  const reading = new Map<string, Promise<Buffer>>()
  let bytes = 0

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

  const read = (key: string): Promise<Buffer> => {
    const hit = kept.get(key)
    if (hit) {
      kept.delete(key)
      kept.set(key, hit)
      return Promise.resolve(hit)
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

  return Object.assign(Object.create(store) as S, { read })
}

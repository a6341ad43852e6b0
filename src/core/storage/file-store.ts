import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { UnavailableError, ValidationError } from '../errors.js'

/** What the store keeps of one file: its key (for reading back), its SHA-256 and size in bytes. */
export interface StoredFile {
  key: string
  sha256: string
  size: number
}

/**
 * Where attachments live. Content-addressed: the key is derived from the SHA-256 of the bytes, so
 * identical content is stored once. Small on purpose, so an S3-compatible store can implement it.
 */
export interface FileStore {
  /** Stores the bytes of a file path or stream durably; resolves only once they are on disk. */
  put(source: string | Readable): Promise<StoredFile>
  /** A stream of the stored bytes; the key must come from `put` (never from a request). */
  open(key: string): Readable
  /** The whole content in memory: faster than a stream for small files (docs/performance.md). */
  read(key: string): Promise<Buffer>
  /** Size of a stored file, or null when the key holds nothing. */
  stat(key: string): Promise<{ size: number } | null>
}

/** Stores bytes held in memory through `put`, as durably as a file with that content. */
export function putBytes(store: FileStore, bytes: Uint8Array): Promise<StoredFile> {
  return store.put(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]))
}

const KEY = /^[0-9a-f]{2}\/[0-9a-f]{62}$/
const TEMP_PREFIX = '.tmp-'

/** Throws unless `key` has the shape the store gives out, so no key can name another path. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key)) throw new ValidationError(`'${key}' is not a storage key`)
}

/** The store key of content with this SHA-256 (hex): `ab/cdef…`. */
export function storageKeyOf(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256.slice(2)}`
}

/** A FileStore in a local directory (`<dataDir>/files`), written atomically and durably. */
export function createDiskFileStore(dir: string): FileStore & {
  removeStaleTemporaryFiles(olderThanMs: number): Promise<number>
} {
  const pathOf = (key: string): string => {
    assertStorageKey(key)
    return join(dir, key)
  }
  return {
    put: (source) => putFile(dir, source),
    open(key): ReadStream {
      return createReadStream(pathOf(key))
    },
    read: async (key) => readFile(pathOf(key)),
    async stat(key) {
      try {
        const info = await stat(pathOf(key))
        return info.isFile() ? { size: info.size } : null
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw error
      }
    },
    removeStaleTemporaryFiles: (olderThanMs) => removeStaleTemporaryFiles(dir, olderThanMs),
  }
}

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

// The order (docs/rules.md#durability): bytes to a temporary file in the store's directory, fsync, rename to
// the final name, fsync the directories. A crash leaves either no file at the key or the whole
// file; a temporary name never looks like a key, so a half-written file is never read.
async function putFile(dir: string, source: string | Readable): Promise<StoredFile> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    throw storeError(dir, error)
  }
  const tempPath = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`)
  let placed = false
  try {
    const { sha256, size } = await writeTemporary(tempPath, source)
    const key = storageKeyOf(sha256)
    const finalPath = join(dir, key)
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    if (await hasSize(finalPath, size)) {
      // Identical content is already stored (and was fsynced when it was): keep one copy.
      return { key, sha256, size }
    }
    await rename(tempPath, finalPath)
    placed = true
    await syncDirectory(join(dir, key.slice(0, 2)))
    await syncDirectory(dir)
    return { key, sha256, size }
  } catch (error) {
    if (error instanceof ValidationError) throw error
    throw storeError(dir, error)
  } finally {
    if (!placed) await unlink(tempPath).catch(() => {})
  }
}

async function writeTemporary(
  path: string,
  source: string | Readable,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  // 'wx': never reuse or follow an existing name.
  const handle = await open(path, 'wx', 0o640)
  const input = typeof source === 'string' ? createReadStream(source) : source
  // A source can fail before the loop below asks for its first chunk (a missing file fails while
  // opening); the iterator still sees that error through the stream's state, but without a
  // listener meanwhile it would crash the process as an uncaught 'error' event.
  input.on('error', () => {})
  try {
    const chunks = input[Symbol.asyncIterator]()
    for (;;) {
      let next: IteratorResult<unknown>
      try {
        next = await chunks.next()
      } catch (error) {
        throw sourceError(source, error)
      }
      if (next.done) break
      const chunk = next.value
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
      hash.update(bytes)
      size += bytes.length
      await handle.write(bytes)
    }
    await handle.sync()
  } finally {
    await handle.close()
    if (input instanceof Readable && !input.destroyed) input.destroy()
  }
  return { sha256: hash.digest('hex'), size }
}

async function hasSize(path: string, size: number): Promise<boolean> {
  try {
    const info = await stat(path)
    return info.isFile() && info.size === size
  } catch {
    return false
  }
}

/** fsync on a directory makes a rename (or a new entry) in it survive a power cut. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

// A process killed mid-write (SIGKILL, power cut) cannot remove its temporary file; these are
// invisible to readers and swept here.
async function removeStaleTemporaryFiles(dir: string, olderThanMs: number): Promise<number> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  let removed = 0
  const limit = Date.now() - olderThanMs
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    const path = join(dir, name)
    const info = await stat(path).catch(() => null)
    if (info && info.mtimeMs <= limit) {
      await rm(path, { force: true })
      removed += 1
    }
  }
  return removed
}

function sourceError(source: string | Readable, error: unknown): ValidationError {
  const what = typeof source === 'string' ? source : 'the uploaded file'
  return new ValidationError(`cannot read ${what}: ${(error as Error).message}`)
}

function storeError(dir: string, error: unknown): UnavailableError {
  const e = error as NodeJS.ErrnoException
  return new UnavailableError(
    `cannot store the file in ${dir} (${e.code ?? e.message}): check that the data directory is writable and has free space`,
  )
}

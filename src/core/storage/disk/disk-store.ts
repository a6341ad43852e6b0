import { randomBytes } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { UnavailableError, ValidationError } from '../../errors.js'
import { assertStorageKey, storageKeyOf, type DeleteOutcome, type FileStore, type FileWriter, type StoredFile } from '../file-store.js'
import { writeTemporaryFile, type WrittenFile } from './temp-writer.js'

const TEMP_PREFIX = '.tmp-'
// Changed by every deletion (a new random text): what caches in other processes compare.
const DELETION_MARK = '.deletions'

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
    writer: () => fileWriter(dir),
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
    delete: (key, options) => deleteFile(dir, pathOf(key), options?.unlessNewerThanMs ?? 0),
    deletionMark: () => readFile(join(dir, DELETION_MARK), 'utf8').catch(() => ''),
    removeStaleTemporaryFiles: (olderThanMs) => removeStaleTemporaryFiles(dir, olderThanMs),
  }
}

// The file's mtime is when it was last stored or found again by `put` (which touches it): a file
// touched within `unlessNewerThanMs` may belong to a row not yet committed, so it stays.
async function deleteFile(dir: string, path: string, unlessNewerThanMs: number): Promise<DeleteOutcome> {
  try {
    const info = await stat(path)
    if (!info.isFile()) return 'absent'
    if (Date.now() - info.mtimeMs < unlessNewerThanMs) return 'recent'
    await unlink(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent'
    throw storeError(dir, error)
  }
  // Durable like a put: a deletion lost in a power cut would leave the bytes with no row to find them.
  await syncDirectory(join(path, '..'))
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`)
  await writeFile(temp, randomBytes(12).toString('hex'), { mode: 0o640 })
  await rename(temp, join(dir, DELETION_MARK))
  return 'deleted'
}

// The order (docs/rules.md#durability): bytes to a temporary file in the store's directory, fsync, rename to
// the final name, fsync the directories. A crash leaves either no file at the key or the whole
// file; a temporary name never looks like a key, so a half-written file is never read.
function fileWriter(dir: string): FileWriter & { readonly failed: boolean } {
  const tempPath = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`)
  const temporary = writeTemporaryFile(tempPath)
  return {
    write: (chunk) => temporary.write(chunk),
    end: () => place(dir, tempPath, temporary.end()),
    abort: () => temporary.abort().then(() => unlink(tempPath).catch(() => {})),
    get failed() {
      return temporary.failed
    },
  }
}

async function place(dir: string, tempPath: string, written: Promise<WrittenFile>): Promise<StoredFile> {
  let placed = false
  try {
    const { sha256, size } = await written
    const key = storageKeyOf(sha256)
    const finalPath = join(dir, key)
    // Identical content is already stored (and was fsynced when it was): keep one copy, touched
    // so a retention run deleting this key meanwhile leaves it (deleteFile); gone meanwhile, ours goes in.
    if ((await hasSize(finalPath, size)) && (await touch(finalPath))) {
      return { key, sha256, size }
    }
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    await rename(tempPath, finalPath)
    placed = true
    await syncDirectory(join(dir, key.slice(0, 2)))
    await syncDirectory(dir)
    return { key, sha256, size }
  } catch (error) {
    throw storeError(dir, error)
  } finally {
    if (!placed) await unlink(tempPath).catch(() => {})
  }
}

// A path or a stream goes through the same writer as an upload's parts, chunk by chunk.
async function putFile(dir: string, source: string | Readable): Promise<StoredFile> {
  const writer = fileWriter(dir)
  const input = typeof source === 'string' ? createReadStream(source) : source
  try {
    for await (const chunk of input) {
      const wait = writer.write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
      if (wait) await wait
      // The disk failed: `end` says so; the rest of the source is not worth reading.
      if (writer.failed) break
    }
  } catch (error) {
    await writer.abort()
    // The source's own failure is the sender's problem; the store's come from `end`.
    throw sourceError(source, error)
  }
  return writer.end()
}

async function touch(path: string): Promise<boolean> {
  const at = new Date()
  return utimes(path, at, at).then(
    () => true,
    () => false,
  )
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

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDiskFileStore } from '../../../src/core/storage/disk/disk-store.js'
import type { FileStore } from '../../../src/core/storage/file-store.js'
import { withReadCache } from '../../../src/core/storage/read-cache.js'

const distStore = fileURLToPath(new URL('../../../dist/core/storage/disk/disk-store.js', import.meta.url))

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confi-store-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Every file under the store, relative paths. */
function listAll(root: string): string[] {
  if (!existsSync(root)) return []
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort()
}

describe('disk file store', () => {
  it('stores by SHA-256 under ab/cdef… and reads the bytes back', async () => {
    const store = createDiskFileStore(join(dir, 'files'))
    const source = join(dir, 'guia.pdf')
    writeFileSync(source, '%PDF-1.4 guia')
    const stored = await store.put(source)
    const sha = createHash('sha256').update('%PDF-1.4 guia').digest('hex')
    expect(stored).toEqual({ key: `${sha.slice(0, 2)}/${sha.slice(2)}`, sha256: sha, size: 13 })
    expect((await store.read(stored.key)).toString()).toBe('%PDF-1.4 guia')
    const chunks: Buffer[] = []
    for await (const chunk of store.open(stored.key)) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('%PDF-1.4 guia')
    expect(await store.stat(stored.key)).toEqual({ size: 13 })
  })

  it('stores identical content once, from paths and streams alike', async () => {
    const store = createDiskFileStore(join(dir, 'files'))
    writeFileSync(join(dir, 'a.pdf'), 'same bytes')
    writeFileSync(join(dir, 'b.pdf'), 'same bytes')
    const a = await store.put(join(dir, 'a.pdf'))
    const b = await store.put(join(dir, 'b.pdf'))
    const c = await store.put(Readable.from([Buffer.from('same '), Buffer.from('bytes')]))
    expect(b.key).toBe(a.key)
    expect(c.key).toBe(a.key)
    expect(listAll(join(dir, 'files'))).toEqual([a.key])
  })

  it('a writer stores chunks as they come, asking to wait when much is queued, as put would', async () => {
    const store = createDiskFileStore(join(dir, 'files'))
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, i))
    const writer = store.writer()
    let waits = 0
    for (const chunk of chunks) {
      const wait = writer.write(chunk)
      if (wait) (waits += 1), await wait
    }
    writer.write(Buffer.alloc(0))
    const stored = await writer.end()
    const all = Buffer.concat(chunks)
    expect(waits).toBeGreaterThan(0)
    expect(stored).toEqual(await store.put(Readable.from([all])))
    expect(stored.sha256).toBe(createHash('sha256').update(all).digest('hex'))
    expect((await store.read(stored.key)).equals(all)).toBe(true)
    expect(listAll(join(dir, 'files'))).toEqual([stored.key])
  })

  it('a writer aborted half way leaves nothing; one whose directory cannot exist fails as the store', async () => {
    const store = createDiskFileStore(join(dir, 'files'))
    const writer = store.writer()
    await writer.write(Buffer.alloc(2 * 1024 * 1024, 7))
    await writer.abort()
    expect(listAll(join(dir, 'files'))).toEqual([])
    // A file where the store's directory should be: the open fails, and so does every write after.
    writeFileSync(join(dir, 'blocked'), 'not a directory')
    const blocked = createDiskFileStore(join(dir, 'blocked', 'files')).writer()
    for (let i = 0; i < 40; i++) await blocked.write(Buffer.alloc(64 * 1024, 1))
    await expect(blocked.end()).rejects.toThrow(/cannot store the file in .*blocked/)
  })

  it('refuses keys that are not store keys, so no request can name a path', async () => {
    const store = createDiskFileStore(join(dir, 'files'))
    expect(() => store.open('../../etc/passwd')).toThrow(/not a storage key/)
    await expect(store.read('ab/../../x')).rejects.toThrow(/not a storage key/)
    expect(await store.stat(`ab/${'c'.repeat(62)}`)).toBeNull()
  })

  it('leaves no temporary file when the source fails half way', async () => {
    const store = createDiskFileStore(join(dir, 'files'))
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000, 1))
        this.destroy(new Error('disk of the source failed'))
      },
    })
    await expect(store.put(failing)).rejects.toThrow(/cannot read the uploaded file/)
    await expect(store.put(join(dir, 'missing.pdf'))).rejects.toThrow(/cannot read/)
    expect(listAll(join(dir, 'files'))).toEqual([])
  })

  it('a write killed half way leaves no visible file, and the stale temporary file is swept', async () => {
    const files = join(dir, 'files')
    // The child stores a stream that never ends; once bytes are on disk it is killed (SIGKILL).
    const script = `
      import { Readable } from 'node:stream'
      import { createDiskFileStore } from ${JSON.stringify(distStore)}
      const store = createDiskFileStore(${JSON.stringify(files)})
      let sent = 0
      const slow = new Readable({ read() {
        setTimeout(() => { this.push(Buffer.alloc(65536, 7)); if (++sent === 4) process.stdout.write('writing\\n') }, 5)
      } })
      await store.put(slow)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    const left = listAll(files)
    expect(left.length).toBe(1)
    expect(left[0]).toMatch(/^\.tmp-/)
    const store = createDiskFileStore(files)
    expect(await store.removeStaleTemporaryFiles(0)).toBe(1)
    expect(listAll(files)).toEqual([])
  })
})

describe('read cache (withReadCache)', () => {
  async function storeWith(contents: string[]) {
    const disk = createDiskFileStore(join(dir, 'files'))
    const keys: string[] = []
    for (const [i, content] of contents.entries()) {
      const path = join(dir, `f${i}`)
      writeFileSync(path, content)
      keys.push((await disk.put(path)).key)
    }
    let reads = 0
    const counted: FileStore = { ...disk, read: (key) => ((reads += 1), disk.read(key)) }
    return { disk, counted, keys, reads: () => reads }
  }

  it('returns the exact bytes, reading the disk once per key, concurrent misses included', async () => {
    const { counted, keys, reads } = await storeWith(['%PDF-1.4 um', '%PDF-1.4 dois'])
    const cached = withReadCache(counted)
    const first = await Promise.all([cached.read(keys[0]), cached.read(keys[0]), cached.read(keys[0])])
    expect(first.map((b) => b.toString())).toEqual(Array(3).fill('%PDF-1.4 um'))
    expect((await cached.read(keys[0])).toString()).toBe('%PDF-1.4 um')
    expect((await cached.read(keys[1])).toString()).toBe('%PDF-1.4 dois')
    expect(reads()).toBe(2)
    // The rest of the store is the wrapped one.
    expect(await cached.stat(keys[1])).toEqual({ size: 13 })
    const chunks: Buffer[] = []
    for await (const chunk of cached.open(keys[1])) chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('%PDF-1.4 dois')
  })

  it('stays within its bytes, evicting the least recently used, and never keeps large files', async () => {
    const { counted, keys, reads } = await storeWith(['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40), 'd'.repeat(90)])
    const cached = withReadCache(counted, { maxBytes: 100, maxFileBytes: 50 })
    await cached.read(keys[0])
    await cached.read(keys[1])
    await cached.read(keys[0]) // hit: keys[0] is now the most recently used
    await cached.read(keys[2]) // 120 bytes: evicts keys[1]
    expect(reads()).toBe(3)
    await cached.read(keys[0])
    await cached.read(keys[2])
    expect(reads()).toBe(3)
    await cached.read(keys[1])
    expect(reads()).toBe(4)
    expect((await cached.read(keys[3])).toString()).toBe('d'.repeat(90))
    expect((await cached.read(keys[3])).toString()).toBe('d'.repeat(90))
    expect(reads()).toBe(6)
  })

  it('does not remember a failed read', async () => {
    const { counted, keys } = await storeWith(['%PDF-1.4 volta'])
    let fail = true
    const flaky: FileStore = { ...counted, read: (key) => (fail ? Promise.reject(new Error('EIO')) : counted.read(key)) }
    const cached = withReadCache(flaky)
    await expect(cached.read(keys[0])).rejects.toThrow('EIO')
    fail = false
    expect((await cached.read(keys[0])).toString()).toBe('%PDF-1.4 volta')
  })
})

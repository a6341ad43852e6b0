import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDiskFileStore } from '../../src/core/file-store.js'

const distStore = fileURLToPath(new URL('../../dist/core/file-store.js', import.meta.url))

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

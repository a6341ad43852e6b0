import { spawn } from 'node:child_process'
import { accountant } from '../../../src/core/actors.js'
import { chmodSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { beforeEach, describe, expect, it } from 'vitest'
import { addDocument, getAttachment, getDocument, listDocuments, resolveDocument, type Document } from '../../../src/core/documents/documents.js'
import { detectMediaType } from '../../../src/core/documents/media-type.js'
import { setClock } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeDocument, storeOf, writeTestFile, makeClient } from '../../helpers/factories.js'

const dist = fileURLToPath(new URL('../../../dist/core/', import.meta.url))

const t = useTestDatabase({ firm: true })
let clientId: number
beforeEach(async () => {
  clientId = (await makeClient(t.db, t.key)).id
})

function storeFiles(): string[] {
  const root = join(t.config.dataDir, 'files')
  if (!existsSync(root)) return []
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name)
}

async function counts() {
  const docs = await t.db.selectFrom('documents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  const files = await t.db.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return { documents: Number(docs.n), attachments: Number(files.n) }
}

describe('addDocument', () => {
  it('stores the files and rows: media type from content, size and SHA-256 kept', async () => {
    const pdf = writeTestFile(t.dir, 'guia.txt', '%PDF-1.7 conteúdo')
    const xml = writeTestFile(t.dir, 'nfe.xml', '<?xml version="1.0"?><nfe/>')
    const doc = await addDocument(t.db, storeOf(t), accountant('cli:ana'), {
      clientId,
      title: '  DAS   10/2026 ',
      category: 'Fiscal',
      competence: '2026-10',
      dueDate: '2026-11-20',
      files: [{ path: pdf }, { path: xml, name: 'NF-e 123.xml' }],
    })
    expect(doc).toMatchObject({ clientId, title: 'DAS 10/2026', category: 'fiscal', competence: '2026-10', dueDate: '2026-11-20', createdBy: 'cli:ana' })
    expect(doc.attachments.map((a) => [a.fileName, a.mediaType, a.size])).toEqual([
      ['guia.txt', 'application/pdf', 18],
      ['NF-e 123.xml', 'application/xml', 27],
    ])
    expect(doc.attachments[0].sha256).toMatch(/^[0-9a-f]{64}$/)
    expect((await storeOf(t).read(doc.attachments[1].storageKey)).toString()).toContain('<nfe/>')
    expect(await getAttachment(t.db, doc.id, doc.attachments[1].id)).toEqual(doc.attachments[1])
    await expect(getAttachment(t.db, doc.id + 1, doc.attachments[1].id)).rejects.toThrow(/has no file/)
  })

  it('stores a file sent twice once', async () => {
    const path = writeTestFile(t.dir, 'same.pdf', '%PDF same')
    await makeDocument(t, clientId, { files: [{ path }] })
    await makeDocument(t, clientId, { files: [{ path }, { path, name: 'copia.pdf' }] })
    expect(storeFiles().length).toBe(1)
    expect((await counts()).attachments).toBe(3)
  })

  const bad: [string, () => Partial<Parameters<typeof addDocument>[3]>, RegExp][] = [
    ['unknown category', () => ({ category: 'impostos' }), /unknown category 'impostos'/],
    ['malformed competence', () => ({ competence: '2026-13' }), /competence '2026-13' is not valid/],
    ['competence in another format', () => ({ competence: '10/2026' }), /use YYYY-MM/],
    ['impossible due date', () => ({ dueDate: '2026-02-30' }), /due date '2026-02-30' is not valid/],
    ['malformed due date', () => ({ dueDate: '20/11/2026' }), /use YYYY-MM-DD/],
    ['empty title', () => ({ title: '   ' }), /title must have 1 to 200/],
    ['missing file', () => ({ files: [{ path: join(t.dir, 'nope.pdf') }] }), /does not exist/],
    ['directory', () => ({ files: [{ path: t.dir }] }), /is a directory/],
    ['empty file', () => ({ files: [{ path: writeTestFile(t.dir, 'empty.pdf', '') }] }), /is empty/],
    ['no files', () => ({ files: [] }), /at least one file/],
    ['unknown client', () => ({ clientId: 9999 }), /no client with id 9999/],
    ['bad file name', () => ({ files: [{ path: writeTestFile(t.dir, 'ok.pdf'), name: '../x.pdf' }] }), /file name/],
  ]
  for (const [what, input, message] of bad) {
    it(`refuses ${what}, writing nothing`, async () => {
      const good = writeTestFile(t.dir, 'good.pdf', '%PDF good')
      const overrides = input()
      await expect(
        addDocument(t.db, storeOf(t), accountant('cli:test'), {
          clientId,
          title: 'T',
          category: 'fiscal',
          ...overrides,
          files: [{ path: good }, ...(overrides.files ?? [])].slice(overrides.files?.length === 0 ? 1 : 0),
        }),
      ).rejects.toThrow(message)
      expect(await counts()).toEqual({ documents: 0, attachments: 0 })
      expect(storeFiles()).toEqual([])
    })
  }

  it.skipIf(process.getuid?.() === 0)('refuses an unreadable file', async () => {
    const path = writeTestFile(t.dir, 'secret.pdf', '%PDF')
    chmodSync(path, 0o000)
    await expect(makeDocument(t, clientId, { files: [{ path }] })).rejects.toThrow(/cannot read file/)
  })

  it('a process killed while storing a file leaves no row and no visible file', async () => {
    const big = writeTestFile(t.dir, 'big.pdf', Buffer.alloc(4 << 20, 0x25))
    // The child stores through a slow stream (so the kill lands mid-copy) and says when it started.
    const script = `
      import { createReadStream } from 'node:fs'
      import { Transform } from 'node:stream'
      import { openDatabase } from ${JSON.stringify(join(dist, 'db/database.js'))}
      import { addDocument } from ${JSON.stringify(join(dist, 'documents/documents.js'))}
      import { createDiskFileStore } from ${JSON.stringify(join(dist, 'storage/disk/disk-store.js'))}
      const disk = createDiskFileStore(${JSON.stringify(join(t.config.dataDir, 'files'))})
      let told = false
      const slow = () => new Transform({ transform(chunk, _e, done) {
        if (!told) { told = true; process.stdout.write('storing\\n') }
        setTimeout(() => done(null, chunk), 20)
      } })
      const store = { ...disk, put: (path) => disk.put(createReadStream(path, { highWaterMark: 65536 }).pipe(slow())) }
      const open = await openDatabase(${JSON.stringify(t.config.database)})
      await addDocument(open.db, store, { kind: 'accountant', label: 'cli:test' }, { clientId: ${clientId}, title: 'T', category: 'fiscal', files: [{ path: ${JSON.stringify(big)} }] })
      process.stdout.write('done\\n')`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    await new Promise((resolve) => setTimeout(resolve, 100))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    expect(await counts()).toEqual({ documents: 0, attachments: 0 })
    expect(storeFiles().every((name) => name.startsWith('.tmp-'))).toBe(true)
    expect(storeFiles().length).toBe(1)
  })
})

describe('listDocuments', () => {
  it('lists newest first with keyset pages, filters and visibility', async () => {
    const other = (await makeClient(t.db, t.key)).id
    let tick = Date.UTC(2026, 10, 1)
    const restore = setClock(() => new Date((tick += 1000)))
    try {
      for (let i = 1; i <= 5; i++) await makeDocument(t, clientId, { title: `Doc ${i}`, competence: `2026-0${i}` })
      await makeDocument(t, other, { title: 'Other', category: 'pessoal' })
    } finally {
      restore()
    }
    const first = await listDocuments(t.db, { clientIds: [clientId], limit: 2 })
    expect(first.items.map((d) => d.title)).toEqual(['Doc 5', 'Doc 4'])
    const second = await listDocuments(t.db, { clientIds: [clientId], limit: 2, after: first.nextCursor })
    expect(second.items.map((d) => d.title)).toEqual(['Doc 3', 'Doc 2'])
    const third = await listDocuments(t.db, { clientIds: [clientId], limit: 2, after: second.nextCursor })
    expect(third.items.map((d) => d.title)).toEqual(['Doc 1'])
    expect(third.nextCursor).toBeNull()
    expect((await listDocuments(t.db, { clientIds: 'all' })).items.length).toBe(6)
    expect((await listDocuments(t.db, { clientIds: [] })).items).toEqual([])
    expect((await listDocuments(t.db, { clientIds: 'all', categories: ['fiscal'] })).items.length).toBe(5)
    expect((await listDocuments(t.db, { clientIds: 'all', category: 'pessoal' })).items.map((d) => d.title)).toEqual(['Other'])
    expect((await listDocuments(t.db, { clientIds: 'all', competence: '2026-03' })).items.map((d) => d.title)).toEqual(['Doc 3'])
    await expect(listDocuments(t.db, { clientIds: 'all', after: 'garbage' })).rejects.toThrow(/cursor is not valid/)
    await expect(listDocuments(t.db, { clientIds: 'all', category: 'x' })).rejects.toThrow(/unknown category/)
  })

  it('resolves a document by id and refuses anything else', async () => {
    const doc = await makeDocument(t, clientId)
    expect((await resolveDocument(t.db, String(doc.id))).id).toBe(doc.id)
    expect((await getDocument(t.db, doc.id)).attachments.length).toBe(1)
    await expect(resolveDocument(t.db, '999')).rejects.toThrow(/no document with id 999/)
    await expect(resolveDocument(t.db, 'abc')).rejects.toThrow(/not a document id/)
  })
})

describe('detectMediaType', () => {
  it('reads magic bytes first, then the extension', () => {
    expect(detectMediaType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'x.bin')).toBe('image/png')
    expect(detectMediaType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'foto')).toBe('image/jpeg')
    expect(detectMediaType(Buffer.from('GIF89a'), 'a')).toBe('image/gif')
    expect(detectMediaType(Buffer.from('PK\x03\x04....xl/workbook.xml', 'latin1'), 'planilha')).toMatch(/spreadsheetml/)
    expect(detectMediaType(Buffer.from('PK\x03\x04....word/document.xml', 'latin1'), 'x')).toMatch(/wordprocessingml/)
    expect(detectMediaType(Buffer.from('PK\x03\x04....', 'latin1'), 'a.zip')).toBe('application/zip')
    expect(detectMediaType(Buffer.from('\ufeff<?xml version="1.0"?>'), 'nota')).toBe('application/xml')
    expect(detectMediaType(Buffer.from('a;b'), 'folha.csv')).toBe('text/csv')
    expect(detectMediaType(Buffer.from('???'), 'x.unknown')).toBe('application/octet-stream')
  })
})

describe('filing from bytes and streams', () => {
  // More than the 4 KB that decide the media type, cut in chunks smaller than that.
  const content = Buffer.concat([Buffer.from('%PDF-1.7 guia\n'), Buffer.alloc(10_000, 0x41)])
  const stored = (doc: Document) => doc.attachments.map((a) => ({ name: a.fileName, mediaType: a.mediaType, size: a.size, sha256: a.sha256, key: a.storageKey }))

  function chunked(bytes: Buffer, size: number): Readable {
    return Readable.from((function* () {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
    })())
  }

  it('stores the same attachment from a path, from bytes and from a stream', async () => {
    const fromPath = await makeDocument(t, clientId, { files: [{ path: writeTestFile(t.dir, 'guia', content) }] })
    const fromBytes = await makeDocument(t, clientId, { files: [{ bytes: new Uint8Array(content), name: 'guia' }] })
    const fromStream = await makeDocument(t, clientId, { files: [{ stream: chunked(content, 3), name: 'guia' }] })
    expect(stored(fromPath)).toEqual([{ name: 'guia', mediaType: 'application/pdf', size: content.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), key: expect.any(String) }])
    expect(stored(fromBytes)).toEqual(stored(fromPath))
    expect(stored(fromStream)).toEqual(stored(fromPath))
    expect((await storeOf(t).read(fromStream.attachments[0].storageKey)).equals(content)).toBe(true)
    expect(storeFiles()).toHaveLength(1)
  })

  it('checks the name of bytes and streams and refuses empty ones, writing no row', async () => {
    await expect(makeDocument(t, clientId, { files: [{ bytes: new Uint8Array(0), name: 'vazio.pdf' }] })).rejects.toThrow(/file vazio.pdf is empty/)
    await expect(makeDocument(t, clientId, { files: [{ stream: Readable.from([]), name: 'vazio.pdf' }] })).rejects.toThrow(/file vazio.pdf is empty/)
    await expect(makeDocument(t, clientId, { files: [{ bytes: content, name: 'a/b.pdf' }] })).rejects.toThrow(/file name/)
    expect(await counts()).toEqual({ documents: 0, attachments: 0 })
  })

  it('a failing stream leaves no rows and nothing half-written', async () => {
    const failing = Readable.from((async function* () {
      yield content.subarray(0, 5000)
      throw new Error('connection reset')
    })())
    await expect(
      makeDocument(t, clientId, { files: [{ bytes: new Uint8Array(Buffer.from('%PDF antes')), name: 'antes.pdf' }, { stream: failing, name: 'guia.pdf' }] }),
    ).rejects.toThrow(/connection reset/)
    expect(failing.destroyed).toBe(true)
    expect(await counts()).toEqual({ documents: 0, attachments: 0 })
    // Only the whole file stored before the failure, which no row points at; no temporary file.
    expect(storeFiles()).toHaveLength(1)
    expect(storeFiles().some((name) => name.startsWith('.tmp-'))).toBe(false)
  })
})

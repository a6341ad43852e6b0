// The uploads' multipart reader (core/uploads/multipart.ts) reads every form as busboy, the parser
// it replaced, does: the same fields, the same files with the same names and bytes, however the
// body is cut into chunks (a boundary split across two reads, a lone CR at a chunk's end); and it
// refuses a body that ends early or whose part headers are malformed.
import busboy from 'busboy'
import { describe, expect, it } from 'vitest'
import { readMultipart, MultipartError, type MultipartLimits } from '../../../src/core/uploads/multipart.js'

const BOUNDARY = '----confiTeste7d1f'
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`
const LIMITS: MultipartLimits = { files: 3, fields: 4, fieldBytes: 64 }

type Read = { fields: [string | undefined, string, boolean][]; files: [string | undefined, string | undefined, string, string][]; limits: string[] }

async function ours(chunks: Buffer[], limits = LIMITS): Promise<Read> {
  const read: Read = { fields: [], files: [], limits: [] }
  await readMultipart(
    (async function* () {
      yield* chunks
    })(),
    CONTENT_TYPE,
    limits,
    {
      field: (name, value, truncated) => void read.fields.push([name, value, truncated]),
      file(part) {
        const bytes: Buffer[] = []
        return {
          write: (chunk) => void bytes.push(Buffer.from(chunk)),
          end: () => void read.files.push([part.name, part.filename, part.mimeType, Buffer.concat(bytes).toString('latin1')]),
          fail: () => {},
        }
      },
      limit: (what) => void read.limits.push(what),
    },
  )
  return read
}

function theirs(body: Buffer, limits = LIMITS): Promise<Read> {
  return new Promise((resolve, reject) => {
    const read: Read = { fields: [], files: [], limits: [] }
    const parser = busboy({ headers: { 'content-type': CONTENT_TYPE }, defParamCharset: 'utf8', limits: { files: limits.files, fields: limits.fields, fieldSize: limits.fieldBytes } })
    parser.on('field', (name, value, info) => void read.fields.push([name, value, info.valueTruncated]))
    parser.on('file', (name, stream, info) => {
      const bytes: Buffer[] = []
      stream.on('data', (chunk: Buffer) => bytes.push(chunk))
      stream.on('end', () => void read.files.push([name, info.filename, info.mimeType, Buffer.concat(bytes).toString('latin1')]))
    })
    parser.on('filesLimit', () => void read.limits.push('files'))
    parser.on('fieldsLimit', () => void read.limits.push('fields'))
    parser.on('close', () => resolve(read))
    parser.on('error', reject)
    parser.end(body)
  })
}

const part = (headers: string, content: string | Buffer) => Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n\r\n`, 'latin1'), Buffer.from(content), Buffer.from('\r\n')])
const close = Buffer.from(`--${BOUNDARY}--\r\n`)
const tricky = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(`\r\n--${BOUNDARY.slice(0, 9)}x\r\r\n-\r`), Buffer.alloc(300, 0x0d), Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}y\r\n-`)])

const FORMS: Record<string, Buffer> = {
  plain: Buffer.concat([
    part('Content-Disposition: form-data; name="empresa"', '42'),
    part('Content-Disposition: form-data; name="nota"', 'Extrato de março\r\nlinha dois'),
    part('Content-Disposition: form-data; name="arquivos"; filename="extrato.pdf"\r\nContent-Type: application/pdf', tricky),
    part('Content-Disposition: form-data; name="arquivos"; filename="C:\\Users\\ana\\nota fiscal.xml"\r\nContent-Type: text/xml', '<nfe/>\r'),
    close,
  ]),
  names: Buffer.concat([
    Buffer.from('preamble to ignore\r\n'),
    part(`Content-Disposition: form-data; name="arquivos"; filename="${Buffer.from('relatório ção.pdf').toString('latin1')}"`, 'a'),
    part(`Content-Disposition: form-data; name="arquivos"; filename="x.pdf"; filename*=UTF-8''recibo%20n%C2%BA%201.pdf`, ''),
    part('Content-Disposition: form-data; name="vazio"; filename=""\r\nContent-Type: application/octet-stream', ''),
    Buffer.from(`--${BOUNDARY}--  trailing epilogue\r\nmore`),
  ]),
  limits: Buffer.concat([
    ...Array.from({ length: 6 }, (_, i) => part(`Content-Disposition: form-data; name="f${i}"`, i === 0 ? 'x'.repeat(100) : String(i))),
    ...Array.from({ length: 5 }, (_, i) => part(`Content-Disposition: form-data; name="arquivos"; filename="${i}.csv"\r\nContent-Type: text/csv`, `a;b\r\n${i}`)),
    part('Content-Type: text/plain', 'no disposition: skipped'),
    part('Content-Disposition: attachment; name="x"', 'not form-data: skipped'),
    close,
  ]),
}

function splits(body: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = []
  let at = 0
  for (let i = 0; at < body.length; i++) {
    const size = sizes[i % sizes.length]
    chunks.push(body.subarray(at, at + size))
    at += size
  }
  return chunks
}

describe("the uploads' multipart reader", () => {
  for (const [name, body] of Object.entries(FORMS)) {
    it(`reads the ${name} form exactly as busboy does, at every chunk boundary`, async () => {
      const expected = await theirs(body)
      expect(expected.files.length + expected.fields.length).toBeGreaterThan(2)
      expect(await ours([body])).toEqual(expected)
      for (let cut = 1; cut < body.length; cut++) expect(await ours([body.subarray(0, cut), body.subarray(cut)])).toEqual(expected)
      for (const sizes of [[1], [2], [3, 7], [17, 1, 5], [64]]) expect(await ours(splits(body, sizes))).toEqual(expected)
    })
  }

  it('refuses a body that ends early, at any point before the closing boundary, and fails the open file', async () => {
    const body = FORMS.plain
    for (let cut = 0; cut < body.length - 4; cut += 7) {
      let failed = false
      const read = readMultipart(
        (async function* () {
          yield body.subarray(0, cut)
        })(),
        CONTENT_TYPE,
        LIMITS,
        { field: () => {}, file: () => ({ write: () => {}, end: () => {}, fail: () => void (failed = true) }), limit: () => {} },
      )
      await expect(read).rejects.toBeInstanceOf(MultipartError)
      if (cut > body.indexOf('%PDF') && cut < body.indexOf('<nfe/>') - 150) expect(failed).toBe(true)
    }
  })

  it('refuses malformed part headers, an oversized header block, a delimiter inside a file and a missing boundary', async () => {
    const bad = [
      // busboy cut the file there and dropped what followed up to the next delimiter: a silently shorter file.
      Buffer.concat([part('Content-Disposition: form-data; name="arquivos"; filename="a.pdf"', `%PDF-1.4\r\n--${BOUNDARY}y rest`), close]),
      Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nNo colon here\r\n\r\nx\r\n`), close]),
      Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\nx\r\n`), close]),
      Buffer.concat([Buffer.from(`--${BOUNDARY}garbage\r\n\r\nx\r\n`), close]),
    ]
    for (const body of bad) await expect(ours([body])).rejects.toBeInstanceOf(MultipartError)
    const noBoundary = readMultipart([Buffer.from('x')], 'multipart/form-data; charset=utf-8', LIMITS, { field: () => {}, file: () => null, limit: () => {} })
    await expect(noBoundary).rejects.toBeInstanceOf(MultipartError)
  })

  it('hands a file on as views of the chunks read, never a copy (past the first read, which a CRLF is put before)', async () => {
    const body = FORMS.plain
    const start = body.indexOf('%PDF')
    const rest = Buffer.from(body.subarray(start))
    const seen: Buffer[] = []
    await readMultipart([body.subarray(0, start), rest], CONTENT_TYPE, LIMITS, {
      field: () => {},
      file: () => ({ write: (chunk) => void seen.push(chunk), end: () => {}, fail: () => {} }),
      limit: () => {},
    })
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((chunk) => chunk.buffer === rest.buffer)).toBe(true)
  })
})

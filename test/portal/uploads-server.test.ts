// Uploads through a real HTTP server (@hono/node-server, as `confi serve` runs the portal): the
// body is the socket's own stream, and a connection cut half way leaves nothing.
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ORIGIN, usePortalWorld, useRealServer } from '../helpers/portal.js'
import { multipart, PDF } from '../core/uploads/multipart.js'

const w = usePortalWorld()
const listen = useRealServer(w)

function post(port: number, cookie: string, body: Buffer, contentType: string, cutAfter?: number): Promise<{ status: number; location?: string } | 'cut'> {
  return new Promise((ok, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/enviar', headers: { cookie, origin: ORIGIN, 'content-type': contentType, 'content-length': body.length } })
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => ok({ status: res.statusCode!, location: res.headers.location }))
    })
    req.on('error', (error) => (cutAfter === undefined ? fail(error) : ok('cut')))
    if (cutAfter === undefined) return req.end(body)
    req.write(body.subarray(0, cutAfter), () => setTimeout(() => req.destroy(), 50))
  })
}

/** Sends `body` in two writes, `pauseMs` apart, after its first `split` bytes: a slow phone's upload. */
function postSlowly(port: number, cookie: string, body: Buffer, contentType: string, split: number, pauseMs: number): Promise<number> {
  return new Promise((ok, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/enviar', headers: { cookie, origin: ORIGIN, 'content-type': contentType, 'content-length': body.length } })
    req.on('response', (res) => {
      res.resume()
      ok(res.statusCode!)
    })
    // The server may answer and close before the whole body went: the status is what counts.
    req.on('error', (error) => (req.writableEnded ? undefined : fail(error)))
    req.write(body.subarray(0, split), () => setTimeout(() => req.end(body.subarray(split)), pauseMs))
  })
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20))
}

describe('uploads over a real connection', () => {
  it('takes a whole upload, and a connection cut half way stores nothing and logs nothing', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const port = await listen()
    const big = Buffer.concat([PDF, Buffer.alloc(2 * 1024 * 1024, 0x41)])
    const form = multipart([{ name: 'empresa', value: String(client.id) }, { name: 'categoria', value: 'contabil' }, { name: 'arquivos', filename: 'extrato.pdf', content: big }])
    const cut = await post(port, cookie, form.body, form.contentType, 1024 * 1024)
    expect(cut).toBe('cut')
    // The server notices the cut and answers no one; give it a moment to clean up.
    await new Promise((r) => setTimeout(r, 300))
    expect(await w.db.selectFrom('uploads').select('id').execute()).toEqual([])
    expect(await w.db.selectFrom('access_log').select('id').where('kind', 'like', 'upload.%').execute()).toEqual([])
    const { readdirSync, existsSync } = await import('node:fs')
    const { join } = await import('node:path')
    const filesDir = join(w.t.config.dataDir, 'files')
    const leftovers = () => (existsSync(filesDir) ? readdirSync(filesDir, { recursive: true }).filter((n) => String(n).includes('/') || String(n).startsWith('.tmp-')) : [])
    await waitFor(async () => leftovers().length === 0)
    expect(leftovers()).toEqual([])
    const whole = await post(port, cookie, form.body, form.contentType)
    expect(whole).toMatchObject({ status: 303 })
    expect((whole as { location: string }).location).toMatch(/^\/envios\/\d+\?aviso=enviado$/)
    const [upload] = await w.db.selectFrom('upload_files').select(['size']).execute()
    expect(Number(upload.size)).toBe(big.length)
  })
})

describe('a file refused while the rest of its body still arrives', () => {
  // A refusal settles as soon as the file's first bytes show it; the body may take seconds more.
  // Left unhandled that long, it ended the whole `confi serve` process (Node's default for an
  // unhandled rejection): one signed-in user could stop the portal for everyone.
  const unhandled: unknown[] = []
  const note = (reason: unknown) => unhandled.push(reason)
  beforeEach(() => {
    unhandled.length = 0
    process.on('unhandledRejection', note)
  })
  afterEach(() => {
    process.off('unhandledRejection', note)
  })

  it.each([
    ['too large', 413, Buffer.concat([PDF, Buffer.alloc(1536 * 1024, 0x41)])],
    ['of a type not accepted', 415, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1536 * 1024, 0x41)])],
  ])('a file %s answers %i and the server keeps serving', async (_what, status, content) => {
    await w.db.updateTable('firm_options').set({ upload_max_mb: 1 }).execute()
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const port = await listen()
    const tail = Buffer.alloc(1024 * 1024, 0x42)
    const form = multipart([
      { name: 'empresa', value: String(client.id) },
      { name: 'categoria', value: 'contabil' },
      { name: 'arquivos', filename: 'grande.pdf', content },
      { name: 'arquivos', filename: 'resto.pdf', content: Buffer.concat([PDF, tail]) },
    ])
    expect(await postSlowly(port, cookie, form.body, form.contentType, content.length + 512, 300)).toBe(status)
    expect(unhandled).toEqual([])
    const health = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(health.status).toBe(200)
    expect(await w.db.selectFrom('uploads').select('id').execute()).toEqual([])
  })
})

/**
 * Posts a form that opens with `head` and then never ends (chunks of 'A', up to 400 MB) on a raw
 * socket read all along: the status line that came back and how much was sent before the server
 * closed the connection.
 */
function postEndless(port: number, cookie: string, head: Buffer, contentType: string): Promise<{ answer: string; sent: number }> {
  return new Promise((ok) => {
    const socket = connect(port, '127.0.0.1')
    let sent = 0
    const received: Buffer[] = []
    socket.on('data', (data) => received.push(data))
    const finish = () => ok({ answer: Buffer.concat(received).toString('utf8'), sent })
    socket.on('error', finish)
    socket.on('close', finish)
    const write = (bytes: Buffer) => {
      sent += bytes.length
      return socket.write(Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]))
    }
    socket.write(`POST /enviar HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nOrigin: ${ORIGIN}\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\n\r\n`)
    write(head)
    const chunk = Buffer.alloc(256 * 1024, 0x41)
    const pump = (): void => {
      while (sent < 400 * 1024 * 1024) {
        if (socket.destroyed) return
        if (!write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
      socket.end('0\r\n\r\n')
    }
    pump()
  })
}

describe('a body that goes on past any form the limits allow', () => {
  // A refused body was read to its end, and a part of another name was read past without any
  // limit: a connection stayed busy for as long as its sender wished. Now a body is read up to the
  // most files at the most bytes each (and 1 MB for the fields), then the connection is closed.
  // Whether the 413 reaches a sender that is still writing is a race (TCP resets the connection on
  // unread bytes): the page itself is checked in process below.
  it.each([
    ['a file over the limit that never ends', 'arquivos'],
    ['a part the form has no use for', 'outro'],
  ])('%s: the connection closes long before its sender stops', async (_what, partName) => {
    await w.db.updateTable('firm_options').set({ upload_max_mb: 1, upload_max_files: 2 }).execute()
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const port = await listen()
    const form = multipart([
      { name: 'empresa', value: String(client.id) },
      { name: 'categoria', value: 'contabil' },
      { name: partName, filename: 'sem-fim.pdf', content: PDF },
    ])
    const head = form.body.subarray(0, form.body.lastIndexOf('\r\n--'))
    const { answer, sent } = await postEndless(port, cookie, head, form.contentType)
    expect(sent).toBeLessThan(64 * 1024 * 1024)
    if (answer !== '') expect(answer).toMatch(/^HTTP\/1\.1 413 [^]*\r\nconnection: close\r\n/i)
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    expect(await w.db.selectFrom('uploads').select('id').execute()).toEqual([])
  })

  it('says what was wrong: the whole upload over the limits, in pt-BR, 413', async () => {
    await w.db.updateTable('firm_options').set({ upload_max_mb: 1, upload_max_files: 2 }).execute()
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const form = multipart([
      { name: 'empresa', value: String(client.id) },
      { name: 'categoria', value: 'contabil' },
      { name: 'outro', filename: 'enorme.bin', content: Buffer.alloc(4 * 1024 * 1024, 0x41) },
      { name: 'arquivos', filename: 'extrato.pdf', content: PDF },
    ])
    const res = await w.app.request('/enviar', { method: 'POST', headers: { cookie, origin: ORIGIN, 'content-type': form.contentType }, body: form.body })
    expect(res.status).toBe(413)
    expect(await res.text()).toContain('O envio passa de 2 MB no total')
    expect(await w.db.selectFrom('uploads').select('id').execute()).toEqual([])
  })
})

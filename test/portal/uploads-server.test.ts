// Uploads through a real HTTP server (@hono/node-server, as `confi serve` runs the portal): the
// body is the socket's own stream, and a connection cut half way leaves nothing.
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ORIGIN, usePortalWorld } from '../helpers/portal.js'
import { multipart, PDF } from '../core/uploads/multipart.js'

const w = usePortalWorld()
let server: ServerType | null = null
afterEach(async () => {
  await new Promise((ok) => (server ? server.close(ok) : ok(null)))
  server = null
})

async function listen(): Promise<number> {
  return new Promise((ok) => {
    server = serve({ fetch: w.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => ok(info.port))
  })
}

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

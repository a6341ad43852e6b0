// docs/security.md, "Slow connections": Node's default cut every request whose body was not in
// after 300 s, so a 25 MB upload from a phone at 0.5 Mbit/s (about 400 s) always failed. The
// policy: a long cap on the whole request, a short one on silence, and the headers' own limit.
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { PORTAL_TIMEOUTS, startPortal, type PortalServer, type PortalTimeouts } from '../../src/portal/server.js'
import { ORIGIN, usePortalWorld } from '../helpers/portal.js'
import { multipart, PDF } from '../core/uploads/multipart.js'

const w = usePortalWorld()
let server: PortalServer | null = null
afterEach(async () => {
  await server?.close()
  server = null
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the timeouts confi serve runs with', () => {
  it('let a 25 MB upload at 0.5 Mbit/s finish, cut silence and slow headers', () => {
    const seconds25MbAtHalfMbit = (25 * 1024 * 1024 * 8) / 500_000
    expect(PORTAL_TIMEOUTS.requestMs / 1000).toBeGreaterThan(4 * seconds25MbAtHalfMbit)
    expect(PORTAL_TIMEOUTS.idleMs).toBeLessThanOrEqual(5 * 60_000)
    expect(PORTAL_TIMEOUTS.headersMs).toBeLessThanOrEqual(60_000)
    // Node checks the header and request limits only this often.
    expect(PORTAL_TIMEOUTS.checkEveryMs).toBeLessThanOrEqual(PORTAL_TIMEOUTS.headersMs / 4)
  })
})

describe('the same policy, scaled down, on a real server', () => {
  // Scaled: a request may take 3 s in all, 400 ms of silence is too much, headers within 400 ms.
  const scaled: PortalTimeouts = { headersMs: 400, requestMs: 3_000, idleMs: 400, checkEveryMs: 50 }

  /** Posts an upload in `pieces` writes `gapMs` apart; the status, or 'cut' when the server closed. */
  function trickle(port: number, cookie: string, body: Buffer, contentType: string, pieces: number, gapMs: number, stallAfter?: number) {
    return new Promise<number | 'cut'>((ok) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/enviar', headers: { cookie, origin: ORIGIN, 'content-type': contentType, 'content-length': body.length } })
      req.on('response', (res) => {
        res.resume()
        ok(res.statusCode!)
      })
      req.on('error', () => ok('cut'))
      const size = Math.ceil(body.length / pieces)
      void (async () => {
        for (let i = 0; i < pieces; i++) {
          if (stallAfter === i) return
          if (req.destroyed) return
          req.write(body.subarray(i * size, (i + 1) * size))
          await sleep(gapMs)
        }
        req.end()
      })()
    })
  }

  async function world() {
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    server = await startPortal(w.deps, { port: 0, host: '127.0.0.1', timeouts: scaled })
    const form = multipart([{ name: 'empresa', value: String(client.id) }, { name: 'categoria', value: 'contabil' }, { name: 'arquivos', filename: 'extrato.pdf', content: Buffer.concat([PDF, Buffer.alloc(256 * 1024, 0x41)]) }])
    return { cookie, form, port: server.port }
  }

  it('an upload that keeps moving finishes though it takes longer than the silence allowed', async () => {
    const { cookie, form, port } = await world()
    // 12 pieces 150 ms apart: 1.8 s in all, over four times the idle limit, never 400 ms silent.
    expect(await trickle(port, cookie, form.body, form.contentType, 12, 150)).toBe(303)
    expect(await w.db.selectFrom('uploads').select('id').execute()).toHaveLength(1)
  })

  it('a body that stops moving is cut, stores nothing, and the server keeps serving', async () => {
    const { cookie, form, port } = await world()
    expect(await trickle(port, cookie, form.body, form.contentType, 12, 50, 3)).toBe('cut')
    await sleep(200)
    expect(await w.db.selectFrom('uploads').select('id').execute()).toEqual([])
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
  })

  it('a body that trickles past the whole-request cap is cut', async () => {
    const { cookie, form, port } = await world()
    // 40 pieces 100 ms apart: never silent for long, but 4 s in all against a cap of 3 s.
    const started = Date.now()
    const outcome = await trickle(port, cookie, form.body, form.contentType, 40, 100)
    expect([408, 'cut']).toContain(outcome)
    expect(Date.now() - started).toBeLessThan(3_800)
    expect(await w.db.selectFrom('uploads').select('id').execute()).toEqual([])
  })

  it('headers sent a byte at a time (slowloris) are cut', async () => {
    const { port } = await world()
    const closedAfter = await new Promise<number>((ok) => {
      const started = Date.now()
      const socket = connect(port, '127.0.0.1')
      const line = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '
      let i = 0
      const tick = setInterval(() => (socket.destroyed ? clearInterval(tick) : socket.write(line[i++ % line.length] ?? 'a')), 100)
      socket.on('data', () => undefined)
      socket.on('close', () => {
        clearInterval(tick)
        ok(Date.now() - started)
      })
      socket.on('error', () => undefined)
    })
    expect(closedAfter).toBeLessThan(1_500)
  })
})

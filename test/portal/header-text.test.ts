import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startPortal, type PortalServer } from '../../src/portal/server.js'
import { decodeHeaderValue } from '../../src/portal/header-text.js'
import { createPortalWorld, ORIGIN, PASSWORD, type PortalWorld } from '../helpers/portal.js'

// docs/rules.md#portal-security: a header is stored as the client sent it. Node gives header
// values as latin1, one character per byte; a UTF-8 User-Agent must not become "Ã¼nÃ¯".

const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1')

describe('decodeHeaderValue', () => {
  it('reads valid UTF-8 bytes as UTF-8, anything else as latin1', () => {
    expect(decodeHeaderValue('Mozilla/5.0 (X11)')).toBe('Mozilla/5.0 (X11)')
    expect(decodeHeaderValue(latin1('Câmera Ünï 🙂'))).toBe('Câmera Ünï 🙂')
    // A lone 0xFC is no UTF-8: the latin1 reading stands.
    expect(decodeHeaderValue('M\u00fcller')).toBe('Müller')
    // Overlong and truncated sequences are no UTF-8 either.
    expect(decodeHeaderValue('\u00c0\u00af')).toBe('\u00c0\u00af')
    expect(decodeHeaderValue('a\u00e2\u0082')).toBe('a\u00e2\u0082')
    // Already text beyond latin1: not bytes from a socket.
    expect(decodeHeaderValue('Ünï 🙂')).toBe('Ünï 🙂')
  })
})

describe('a raw HTTP request to the real server', () => {
  let w: PortalWorld
  let server: PortalServer
  beforeEach(async () => {
    w = await createPortalWorld()
    server = await startPortal(w.deps, { port: 0, host: '127.0.0.1' })
  })
  afterEach(async () => {
    await server.close()
    await w.close()
  })

  // Bytes as they are: fetch() would refuse or re-encode a non-ASCII header.
  function send(head: Buffer[], body = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1')
      const chunks: Buffer[] = []
      socket.on('data', (chunk) => chunks.push(chunk))
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')))
      socket.on('error', reject)
      socket.write(Buffer.concat([...head, Buffer.from(`\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)]))
    })
  }
  const request = (line: string, userAgent: Buffer, extra = '') =>
    [Buffer.from(`${line}\r\nHost: 127.0.0.1\r\n${extra}User-Agent: `), userAgent]

  it('logs a download with the UTF-8 User-Agent the client sent', async () => {
    const { file } = await w.link('off')
    const reply = await send(request(`GET ${file} HTTP/1.1`, Buffer.from('Navegador Ünï 🙂/1.0', 'utf8')))
    expect(reply).toMatch(/^HTTP\/1\.1 200 /)
    const reply2 = await send(request(`GET ${file} HTTP/1.1`, Buffer.from('Velho M\xfcller', 'latin1')))
    expect(reply2).toMatch(/^HTTP\/1\.1 200 /)
    expect((await w.accessRows()).map((r) => r.user_agent)).toEqual(['Navegador Ünï 🙂/1.0', 'Velho Müller'])
  })

  it('stores a session’s User-Agent as sent, a C1 control included (escaped only on output)', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const body = `username=ana&password=${encodeURIComponent(PASSWORD)}`
    const reply = await send(
      request('POST /login HTTP/1.1', Buffer.from('Câmera \u009b2J', 'utf8'), `Origin: ${ORIGIN}\r\nContent-Type: application/x-www-form-urlencoded\r\n`),
      body,
    )
    expect(reply).toMatch(/^HTTP\/1\.1 303 /)
    const sessions = await w.db.selectFrom('sessions').select('user_agent').execute()
    expect(sessions.map((s) => s.user_agent)).toEqual(['Câmera \u009b2J'])
  })
})

import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confiBin, runConfi } from '../helpers/cli.js'
import { createPortalWorld, PASSWORD, type PortalWorld } from '../helpers/portal.js'
import { accessRowsOf } from '../helpers/access-log.js'

// Issue 5 part 4: two `confi serve` processes on one PostgreSQL database behave as one portal.
// Sessions, the access-log chain and the first-user/login rules live in the database, so a
// cookie from one instance works on the other and concurrent appends from both keep one chain.
// Only meaningful on PostgreSQL (SQLite is one file on one machine): runs under test:pg.
const onPostgres = Boolean(process.env.CONFI_TEST_DATABASE_URL)

const DOWNLOADS = 2000
const LOGINS = 20

interface Reply {
  status: number
  body: Buffer
  headers: http.IncomingHttpHeaders
}

// Keep-alive sockets, a bounded number per instance: 2,000 requests queue in the agent rather than
// opening 2,000 sockets on a shared 2-core machine.
const agent = new http.Agent({ keepAlive: true, maxSockets: 48 })

function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            headers: res.headers,
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

function startServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, [confiBin, 'serve', '--port', '0'], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`confi serve did not start: ${out}`)), 20_000)
    child.stdout!.on('data', () => {
      const match = /portal at (http:\/\/\S+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve({ child, url: match[1], log: () => out })
      }
    })
    child.once('exit', (code) => reject(new Error(`confi serve exited ${code}: ${out}`)))
  })
}

async function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

async function login(base: string, username: string): Promise<Reply> {
  return request(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ username, password: PASSWORD }).toString(),
  })
}

function cookieOf(reply: Reply): string {
  const set = reply.headers['set-cookie'] ?? []
  const cookie = set.map((c) => c.split(';')[0]).find((c) => /session=/.test(c))
  if (!cookie) throw new Error(`no session cookie (status ${reply.status})`)
  return cookie
}

describe.runIf(onPostgres)('two portal instances on one PostgreSQL database', () => {
  let w: PortalWorld
  const servers: Awaited<ReturnType<typeof startServer>>[] = []
  const fixture = {} as { token: string; attachmentId: number; sha: string; clientId: number }

  beforeAll(async () => {
    w = await createPortalWorld()
    const client = await w.client('Indústria Dois Servidores Ltda', { requireLogin: 'on' })
    await w.user(client, 'ana', { role: 'admin' })
    for (let i = 0; i < LOGINS; i++) await w.user(client, `burst${i}`)
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20_000, 0x41)])
    const doc = await w.doc(client, 'Folha de pagamento 03-2026', 'pessoal', bytes)
    Object.assign(fixture, {
      token: await w.deliver(doc),
      attachmentId: doc.attachments[0].id,
      sha: doc.sha,
      clientId: client.id,
    })
    servers.push(await startServer(w.t.env), await startServer(w.t.env))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(servers.map((s) => stopServer(s.child)))
    agent.destroy()
    await w?.close()
  })

  it('serves 2,000 gated downloads, a login burst and a CLI docs add at once, one log row each', async () => {
    const [a, b] = servers.map((s) => s.url)
    // A session opened on one instance is honoured by the other: sessions live in the database.
    const cookie = cookieOf(await login(a, 'ana'))
    const onB = await request(`${b}/d/${fixture.token}`, { headers: { cookie } })
    expect(onB.status, onB.body.toString()).toBe(200)

    const file = join(w.t.dir, 'guia-fgts.pdf')
    writeFileSync(file, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(100_000, 0x42)]))
    const cli = runConfi(
      [
        'docs',
        'add',
        '--client',
        String(fixture.clientId),
        '--title',
        'FGTS 03-2026',
        '--category',
        'pessoal',
        file,
      ],
      { env: w.t.env, cwd: w.t.dir },
    )
    const logins = Array.from({ length: LOGINS }, (_, i) => login(i % 2 ? b : a, `burst${i}`))
    const downloads = Array.from({ length: DOWNLOADS }, (_, i) =>
      request(`${i % 2 ? b : a}/d/${fixture.token}/files/${fixture.attachmentId}`, {
        headers: { cookie, 'user-agent': `dl-${i}` },
      }),
    )
    const [cliResult, loginReplies, downloadReplies] = await Promise.all([
      cli,
      Promise.all(logins),
      Promise.all(downloads),
    ])

    expect(cliResult.code, cliResult.stderr).toBe(0)
    expect(loginReplies.map((r) => r.status)).toEqual(Array(LOGINS).fill(303))
    const failed = downloadReplies.filter((r) => r.status !== 200)
    expect(failed.map((r) => `${r.status} ${r.body.toString().slice(0, 200)}`)).toEqual([])
    for (const reply of downloadReplies) {
      expect(createHash('sha256').update(reply.body).digest('hex')).toBe(fixture.sha)
    }

    const verify = await runConfi(['docs', 'verify'], { env: w.t.env, cwd: w.t.dir })
    expect(verify.code, verify.stderr).toBe(0)

    // Format 2: the user agent is kept beside the row (access_log_personal), committed in it.
    const rows = (await accessRowsOf(w.db)).filter((r) => r.user_agent?.startsWith('dl-'))
    expect(rows).toHaveLength(DOWNLOADS)
    expect(new Set(rows.map((r) => r.user_agent)).size).toBe(DOWNLOADS)
    expect(
      rows.every((r) => r.action === 'download' && r.attachment_id === fixture.attachmentId),
    ).toBe(true)
    for (const server of servers) expect(server.log()).not.toMatch(/error/i)
  }, 300_000)
})

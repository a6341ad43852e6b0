import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { afterEach } from 'vitest'
import { createHash } from 'node:crypto'
import { accountant } from '../../src/core/actors.js'
import { createAccessLogWriter, type AccessLogWriter } from '../../src/core/access-log/chain/append.js'
import { startAccessLogWriter } from '../../src/core/access-log/commit/commit-thread.js'
import { loginLinkToken, type Client } from '../../src/core/clients/clients.js'
import { createDelivery } from '../../src/core/delivery/deliveries.js'
import type { Document } from '../../src/core/documents/documents.js'
import { addGroupMembers } from '../../src/core/clients/groups.js'
import { inlineHasher } from '../../src/core/identity/passwords.js'
import { createSession } from '../../src/core/identity/sessions.js'
import { addUser } from '../../src/core/identity/registration.js'
import { disableUser, type ClientUser } from '../../src/core/identity/users.js'
import { setVisibility } from '../../src/core/identity/visibility.js'
import { createApp, type PortalDeps } from '../../src/portal/app.js'
import { createTestDatabase, usePerTest, type TestDatabase } from './db.js'
import { accessRowsOf } from './access-log.js'
import { ACCOUNTANT, makeClient, makeDocument, makeFirm, makeUser, PASSWORD, storeOf, writeTestFile } from './factories.js'

export { PASSWORD }
export const ORIGIN = 'http://localhost'

export interface RequestOptions {
  cookie?: string
  form?: Record<string, string | string[]>
  method?: string
  headers?: Record<string, string>
  ip?: string
  body?: string
}

export type PortalWorld = Awaited<ReturnType<typeof createPortalWorld>>

/**
 * A fresh database, firm at bcrypt cost 10, the portal app, and small factories. `commitThread`
 * gives it the access-log writer of `confi serve` (a commit thread on SQLite).
 */
export async function createPortalWorld(options: { deps?: Partial<PortalDeps>; commitThread?: boolean } = {}) {
  const t: TestDatabase = await createTestDatabase()
  await makeFirm(t.db, { baseUrl: ORIGIN })
  const store = storeOf(t)
  const accessLog: AccessLogWriter & { close?(): Promise<void> } = options.commitThread
    ? startAccessLogWriter(t.db, t.config.database)
    : createAccessLogWriter(t.db)
  const errors: { message: string; error: unknown }[] = []
  const deps: PortalDeps = {
    db: t.db,
    key: t.key,
    store,
    config: t.config,
    hasher: inlineHasher,
    accessLog,
    logger: { error: (message, error) => errors.push({ message, error }) },
    firmOptionsTtlMs: 0,
    ...options.deps,
  }
  const app = createApp(deps)
  let fileSeq = 0

  const world = {
    t,
    db: t.db,
    app,
    deps,
    store,
    errors,
    async client(name: string, extra: { requireLogin?: 'inherit' | 'on' | 'off' } = {}): Promise<Client> {
      return makeClient(t.db, t.key, { name, ...extra })
    },
    loginPath(client: Client): string {
      return `/area/${loginLinkToken(t.key, client)}`
    },
    async group(head: Client, members: Client[]): Promise<void> {
      await addGroupMembers(t.db, ACCOUNTANT, head.id, members.map((m) => m.id))
    },
    async user(
      client: Client,
      username: string,
      opts: { role?: 'admin' | 'collaborator'; status?: 'active' | 'pending' | 'disabled' } = {},
    ): Promise<ClientUser> {
      const status = opts.status ?? 'active'
      const user = await makeUser(t.db, {
        clientId: client.id,
        username,
        name: `Nome ${username}`,
        role: opts.role ?? 'collaborator',
        active: status !== 'pending',
      })
      if (status === 'disabled') return disableUser(t.db, ACCOUNTANT, user.id)
      return user
    },
    async hide(user: ClientUser, hidden: { categories?: string[]; companies?: number[] }): Promise<void> {
      await setVisibility(t.db, ACCOUNTANT, user.id, {
        hiddenCategories: (hidden.categories ?? []) as never[],
        hiddenCompanyIds: hidden.companies ?? [],
      })
    },
    async doc(client: Client, title: string, category = 'fiscal', content?: Buffer | string): Promise<Document & { bytes: Buffer; sha: string }> {
      fileSeq += 1
      const bytes = Buffer.from(content ?? `%PDF-1.4\n% ${title} ${fileSeq}\n%%EOF\n`)
      const path = writeTestFile(t.dir, `file-${fileSeq}.pdf`, bytes)
      const document = await makeDocument(t, client.id, {
        title,
        category,
        competence: '2026-03',
        files: [{ path, name: `${title}.pdf` }],
      })
      return { ...document, bytes, sha: createHash('sha256').update(bytes).digest('hex') }
    },
    async deliver(document: Document, extra: { expiresAt?: string } = {}): Promise<string> {
      const { token } = await createDelivery(t.db, t.key, ACCOUNTANT, { documentId: document.id, channel: 'email', recipient: 'cliente@example.com.br', ...extra })
      return token
    },
    /** A client with the given login setting, one document and a delivery link to it. */
    async link(requireLogin: 'on' | 'off' | 'inherit') {
      const client = await world.client('Padaria Pão Quente Ltda', { requireLogin })
      const doc = await world.doc(client, 'DAS Março 2026', 'fiscal')
      const token = await world.deliver(doc)
      return { client, doc, token, file: `/d/${token}/files/${doc.attachments[0].id}` }
    },
    /** Padaria Pão Quente Ltda and its active admin, ana. */
    async clientWithAdmin() {
      const client = await world.client('Padaria Pão Quente Ltda')
      const ana = await world.user(client, 'ana', { role: 'admin' })
      return { client, ana }
    },
    async cookieFor(user: ClientUser, scope: 'area' | 'delivery' = 'area'): Promise<string> {
      const { token } = await createSession(t.db, { userId: user.id, scope }, { idleMinutes: 60, absoluteHours: 12 })
      return `confi_session=${token}`
    },
    async request(path: string, opts: RequestOptions = {}): Promise<Response> {
      const headers = new Headers(opts.headers)
      if (opts.cookie) headers.set('cookie', opts.cookie)
      let body: string | undefined = opts.body
      if (opts.form) {
        const params = new URLSearchParams()
        for (const [k, v] of Object.entries(opts.form)) for (const item of [v].flat()) params.append(k, item)
        body = params.toString()
        if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded')
      }
      const method = opts.method ?? (body !== undefined ? 'POST' : 'GET')
      if (method === 'POST' && !headers.has('origin')) headers.set('origin', ORIGIN)
      return app.request(
        path,
        { method, headers, body, redirect: 'manual' },
        { incoming: { socket: { remoteAddress: opts.ip ?? '127.0.0.1', remotePort: 40000 } } } as never,
      )
    },
    async accessRows() {
      await accessLog.flush()
      // The accesses only: each filing's document.published row is not one (docs/access-log.md).
      return accessRowsOf(t.db)
    },
    async close() {
      await accessLog.close?.()
      await t.close()
    },
  }
  return world
}

/**
 * A fresh portal world for every test of the file (or describe block) that calls it, closed after
 * each test. Returns a live handle that always reads the current test's world.
 */
export function usePortalWorld(options: { deps?: Partial<PortalDeps>; commitThread?: boolean } = {}): PortalWorld {
  return usePerTest('usePortalWorld', () => createPortalWorld(options))
}

/** The session cookie a response set, as a Cookie header value. */
export function sessionCookie(response: Response): string | undefined {
  const match = /(confi_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')
  return match?.[1]
}

/** The words a person reads on a page: styles and tags dropped, the entities hono/jsx writes decoded. */
export function visible(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
}

/**
 * The world's app on a real HTTP server (@hono/node-server, as `confi serve` runs it), on a free
 * port of 127.0.0.1; the server is closed after each test. Resolves the port.
 */
export function useRealServer(w: PortalWorld): () => Promise<number> {
  let server: ServerType | null = null
  afterEach(async () => {
    await new Promise((ok) => (server ? server.close(ok) : ok(null)))
    server = null
  })
  return () =>
    new Promise((ok) => {
      server = serve({ fetch: w.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => ok(info.port))
    })
}

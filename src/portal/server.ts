import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { createApp, type PortalDeps } from './app.js'

export { tuneCollectorForServing } from './collector.js'

/** A running portal: its URL and a graceful stop. */
export interface PortalServer {
  url: string
  port: number
  /** Stops accepting connections, lets requests in flight finish, then resolves. */
  close(): Promise<void>
}

/**
 * How long a connection may take (docs/security.md, "Slow connections"). Node's default cuts any
 * request whose body is not in after 300 s: a 25 MB upload from a phone at 0.5 Mbit/s needs about
 * 400 s. So the whole request may take an hour (25 MB at 56 kbit/s), while a connection that moves
 * no byte either way for 2 minutes is cut, and the headers must arrive within 60 s (slowloris).
 */
export const PORTAL_TIMEOUTS = { headersMs: 60_000, requestMs: 60 * 60_000, idleMs: 120_000, checkEveryMs: 5_000 }
export type PortalTimeouts = typeof PORTAL_TIMEOUTS

/** Starts the portal on host:port (port 0 picks a free one); resolves once it listens. */
export async function startPortal(
  deps: PortalDeps,
  options: { port: number; host: string; timeouts?: PortalTimeouts },
): Promise<PortalServer> {
  const app = createApp(deps)
  const t = options.timeouts ?? PORTAL_TIMEOUTS
  const serverOptions = { headersTimeout: t.headersMs, requestTimeout: t.requestMs, connectionsCheckingInterval: t.checkEveryMs }
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host, serverOptions }, () => resolve(s as Server))
    s.once('error', reject)
  })
  // Idle: no byte read or written; with no 'timeout' listener Node destroys the socket.
  server.timeout = t.idleMs
  // Keep-alive sockets would hold close() open for their whole timeout.
  server.keepAliveTimeout = 5000
  const { port } = server.address() as AddressInfo
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host
  const hostPart = shownHost.includes(':') ? `[${shownHost}]` : shownHost
  let closing: Promise<void> | null = null
  return {
    url: `http://${hostPart}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        // Requests still running after 10 s are cut: a stop must finish.
        setTimeout(() => server.closeAllConnections(), 10_000).unref()
      })
      return closing
    },
  }
}

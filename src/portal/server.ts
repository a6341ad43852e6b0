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

/** Starts the portal on host:port (port 0 picks a free one); resolves once it listens. */
export async function startPortal(deps: PortalDeps, options: { port: number; host: string }): Promise<PortalServer> {
  const app = createApp(deps)
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(s as Server))
    s.once('error', reject)
  })
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

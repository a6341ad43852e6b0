import type { MiddlewareHandler } from 'hono'
import { isLinkPreviewer } from '../core/delivery/link-preview.js'
import type { PortalEnv } from './env.js'
import { m } from './messages.js'
import { messagePage } from './pages.js'

/** Answers a previewer's GET of a document link, its files or its ZIP with a page that says nothing of it. */
export function answerLinkPreviewers(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (c.req.method !== 'GET' || !isLinkPreviewer(c.req.header('user-agent') ?? '')) return next()
    c.header('Cache-Control', 'no-store')
    return messagePage(c, { title: m.delivery.previewTitle, message: m.delivery.preview(c.var.firm.firmName), kind: 'info', link: null }, 200)
  }
}

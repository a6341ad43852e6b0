import type { MiddlewareHandler } from 'hono'
import type { PortalEnv } from './env.js'
import { m } from './messages.js'
import { messagePage } from './pages.js'

// A chat app fetches a pasted link to draw its preview, often on the sender's own phone the
// moment the firm sends it (WhatsApp and Signal as "WhatsApp/", iMessage as facebookexternalhit).
// That is no one opening the document: the fetcher gets a page naming only the firm, and no access
// row is written (docs/rules.md#document-links-and-login). A person who sends such a User-Agent
// hides from the log only what they did not see.
const PREVIEWER =
  /^WhatsApp\/|facebookexternalhit|Facebot|Twitterbot|TelegramBot|Slackbot|Discordbot|LinkedInBot|SkypeUriPreview|redditbot|Pinterestbot|vkShare|Embedly|Iframely|Mastodon\//i

/** Whether a User-Agent is a chat or social app drawing a link's preview. */
export function isLinkPreviewer(userAgent: string): boolean {
  return PREVIEWER.test(userAgent)
}

/** Answers a previewer's GET of a document link, its files or its ZIP with a page that says nothing of it. */
export function answerLinkPreviewers(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (c.req.method !== 'GET' || !isLinkPreviewer(c.req.header('user-agent') ?? '')) return next()
    c.header('Cache-Control', 'no-store')
    return messagePage(c, { title: m.delivery.previewTitle, message: m.delivery.preview(c.var.firm.firmName), kind: 'info', link: null }, 200)
  }
}

// A chat app fetches a pasted link to draw its preview, often on the sender's own phone the
// moment the firm sends it (WhatsApp and Signal as "WhatsApp/", iMessage as facebookexternalhit).
// That is no one opening the document: the fetcher is told nothing of it and no access row is
// written (docs/rules.md#document-links-and-login). A person who sends such a User-Agent hides
// from the log only what they did not see.
const PREVIEWER =
  /^WhatsApp\/|facebookexternalhit|Facebot|Twitterbot|TelegramBot|Slackbot|Discordbot|LinkedInBot|SkypeUriPreview|redditbot|Pinterestbot|vkShare|Embedly|Iframely|Mastodon\//i

/** Whether a User-Agent is a chat or social app drawing a link's preview. */
export function isLinkPreviewer(userAgent: string): boolean {
  return PREVIEWER.test(userAgent)
}

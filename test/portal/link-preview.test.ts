import { describe, expect, it } from 'vitest'
import { isLinkPreviewer } from '../../src/core/delivery/link-preview.js'
import { usePortalWorld } from '../helpers/portal.js'

// docs/rules.md#document-links-and-login: a chat app that shows a preview of a pasted link fetches
// it first, often on the sender's own phone (WhatsApp, Signal, iMessage) the moment the firm sends
// it. That fetch is not the client opening the document: it must write no access row and see
// nothing of the document, whether the link needs a login or not.

const w = usePortalWorld()

const PREVIEWERS = [
  'WhatsApp/2.23.20.0 A',
  'WhatsApp/2.2407.3 i',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0',
  'TelegramBot (like TwitterBot)',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
  'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
  'Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com',
]
const PEOPLE = [
  'Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  // Facebook's and Instagram's own in-app browsers are a person reading.
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/450.0.0.38.108]',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 326.0.3.30.91',
  'curl/8.5.0',
  '',
]

describe('isLinkPreviewer', () => {
  it('knows the chat apps’ preview fetchers and nothing else', () => {
    for (const ua of PREVIEWERS) expect(isLinkPreviewer(ua), ua).toBe(true)
    for (const ua of PEOPLE) expect(isLinkPreviewer(ua), ua).toBe(false)
  })
})

describe('a link preview of a document link', () => {
  it.each(['off', 'on'] as const)('(login %s) gets a page naming only the firm, and no access row', async (requireLogin) => {
    const { token, file } = await w.link(requireLogin)
    for (const path of [`/d/${token}`, file, `/d/${token}/zip`]) {
      const response = await w.request(path, { headers: { 'user-agent': PREVIEWERS[0] } })
      expect(response.status, path).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      const html = await response.text()
      expect(html).not.toContain('DAS Março 2026')
      expect(html).not.toContain('Padaria')
      expect(html).toContain('Abra o link no navegador')
    }
    expect(await w.accessRows()).toEqual([])
    // A person with the same link still opens it, and is logged.
    if (requireLogin === 'off') {
      expect((await w.request(`/d/${token}`, { headers: { 'user-agent': PEOPLE[0] } })).status).toBe(200)
      expect(await w.accessRows()).toHaveLength(1)
    }
  })
})

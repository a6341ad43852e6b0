import type { Attachment } from '../core/documents/documents.js'
import { render, viewerOf, type PortalContext } from './env.js'
import { m } from './messages.js'
import { Layout } from './views/layout.js'

// Another site can send a logged-in browser to a download URL (a link, a redirect, an image):
// the download would be logged under the victim's name although nobody asked for it
// (docs/security.md, "Cross-site downloads"). Such a request gets a page with a button instead,
// and nothing is logged until the person presses it (a same-origin request).

/** The interstitial page when a session-carrying download request comes from another site. */
export function crossSiteDownloadPage(c: PortalContext, attachment: Attachment): Response | null {
  if (!c.var.auth || c.req.header('sec-fetch-site') !== 'cross-site') return null
  const page = (
    <Layout title={m.crossSite.title} firmName={c.var.firm.firmName} viewer={viewerOf(c.var.auth)}>
      <h1>{m.crossSite.title}</h1>
      <p>{m.crossSite.intro(attachment.fileName)}</p>
      <p>
        <a class="button" href={c.req.path}>
          {m.crossSite.download}
        </a>
      </p>
    </Layout>
  )
  return render(c, page)
}

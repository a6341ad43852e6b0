import { render, viewerOf, type PortalContext } from './env.js'
import { m } from './messages.js'
import { Layout } from './views/layout.js'

// Another site can send a logged-in browser to a download URL (a link, a redirect, an image):
// the download would be logged under the victim's name although nobody asked for it
// (docs/security.md, "Cross-site downloads"). Such a request gets a page with a button instead,
// and nothing is logged until the person presses it (a same-origin request).

/** Whether a download request carries a session and comes from another site (core answers `confirm`). */
export function isCrossSiteDownload(c: PortalContext): boolean {
  return Boolean(c.var.auth) && c.req.header('sec-fetch-site') === 'cross-site'
}

/** The interstitial page for a session-carrying download request from another site. */
export function crossSiteDownloadPage(c: PortalContext, fileName: string): Response {
  // The same address, query included: a ZIP of a filtered list keeps its filters.
  const url = new URL(c.req.url)
  const page = (
    <Layout title={m.crossSite.title} firmName={c.var.firm.firmName} viewer={viewerOf(c.var.auth)}>
      <h1>{m.crossSite.title}</h1>
      <p>{m.crossSite.intro(fileName)}</p>
      <p>
        <a class="button" href={url.pathname + url.search}>
          {m.crossSite.download}
        </a>
      </p>
    </Layout>
  )
  return render(c, page)
}

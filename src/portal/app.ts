import { Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { resolveClientAddress } from './client-address.js'
import { UnavailableError } from '../core/errors.js'
import { withReadCache } from '../core/storage/read-cache.js'
import { getFirmOptions, type FirmOptions } from '../core/clients/firm.js'
import type { PortalContext, PortalDeps, PortalEnv } from './env.js'
import { m } from './messages.js'
import { methodNotAllowedPage, notFoundPage, errorPage } from './pages.js'
import { allowedMethodsOf } from './methods.js'
import { refusalOf } from './refusals.js'
import { requireSameOrigin } from './origin-check.js'
import { bodyLeftUnread, readFormBodyFirst } from './forms.js'
import { endSession, isHttps, loadAuth } from './session.js'
import { sendToTwoFactorSetup } from './guards.js'
import { CSS_HASH } from './views/layout.js'
import { accountRoutes } from './routes/account.js'
import { areaRoutes } from './routes/area.js'
import { authRoutes } from './routes/auth.js'
import { deliveryRoutes } from './routes/delivery.js'
import { dashboardRoutes, documentRoutes } from './routes/documents.js'
import { healthRoutes } from './routes/health.js'
import { checkpointRoutes } from './routes/checkpoints.js'
import { protocolRoutes, receiptCheckRoutes } from './routes/receipts.js'
import { requestRoutes } from './routes/requests.js'
import { resetRoutes } from './routes/reset.js'
import { accountTwoFactorRoutes, secondStepRoutes } from './routes/two-factor.js'
import { isUploadPath, uploadRoutes } from './routes/uploads.js'
import { userRoutes } from './routes/users.js'
import { sendToTermsAcceptance, termsRoutes } from './routes/terms.js'
import { redactTokens } from '../core/tokens.js'

export type { PortalDeps } from './env.js'

// The portal shows pages and hands out files: it needs no device or powerful feature, so every
// one a page could ask for is off, for us and for anything framed (docs/security.md). A file
// picker's camera (`<input type=file capture>`) is not governed by `camera`: it stays usable.
const PERMISSIONS_POLICY = Object.fromEntries(
  (
    [
      'accelerometer', 'autoplay', 'bluetooth', 'browsingTopics', 'camera', 'displayCapture',
      'encryptedMedia', 'fullscreen', 'geolocation', 'gyroscope', 'hid', 'idleDetection',
      'localFonts', 'magnetometer', 'microphone', 'midi', 'payment', 'pictureInPicture',
      'publickeyCredentialsGet', 'screenWakeLock', 'serial', 'usb', 'webShare', 'xrSpatialTracking',
    ] as const
  ).map((feature) => [feature, false]),
)

const DEFAULT_BODY_LIMIT = 64 * 1024
const DEFAULT_FILE_CACHE_BYTES = 64 * 1024 * 1024

/** Builds the portal: middleware for security, sessions and errors, and one sub-app per resource. */
export function createApp(portalDeps: PortalDeps): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()
  const cacheBytes = portalDeps.fileCacheBytes ?? DEFAULT_FILE_CACHE_BYTES
  // Stored files never change (content-addressed): downloads of a popular file skip the disk.
  const deps: PortalDeps =
    cacheBytes > 0 ? { ...portalDeps, store: withReadCache(portalDeps.store, { maxBytes: cacheBytes }) } : portalDeps
  const loadFirm = firmOptionsLoader(deps)

  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: [CSS_HASH],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
      },
      // Keeps tokens in our URLs from other sites, yet lets forms carry the real Origin.
      referrerPolicy: 'same-origin',
      xFrameOptions: 'DENY',
      permissionsPolicy: PERMISSIONS_POLICY,
      // Set below, and only over https: over plain http it is meaningless and, on a host that
      // later moves to https elsewhere, a trap.
      strictTransportSecurity: false,
    }),
  )
  app.use(async (c, next) => {
    c.set('deps', deps)
    const socket = c.env?.incoming?.socket
    c.set(
      'address',
      resolveClientAddress({
        remoteAddress: socket?.remoteAddress,
        remotePort: socket?.remotePort,
        forwardedFor: c.req.header('x-forwarded-for'),
        trustedProxies: deps.config.trustedProxies,
      }),
    )
    await next()
    // Every page and file of the portal is private to its viewer: never cache them.
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store')
    // A body left part way (an upload past the most a form may hold) would otherwise be read to
    // its end, however long, to keep the connection: close it instead.
    if (bodyLeftUnread(c.env?.incoming)) c.header('Connection', 'close')
  })
  app.route('/healthz', healthRoutes())
  app.use(refuseHeadOnDocuments())
  app.use(async (c, next) => {
    c.set('firm', await loadFirm())
    await next()
    if (isHttps(c.var.firm)) c.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains')
  })
  const limitBody = bodyLimit({
    maxSize: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    onError: () => {
      throw new HTTPException(413)
    },
  })
  // An upload's body streams to core under the firm's upload limits (routes/uploads.tsx). A GET
  // or HEAD has no body (@hono/node-server gives it none), and asking for it builds the whole
  // fetch Request that the server otherwise never makes: 12% of a download's CPU in the profile.
  const readForm = readFormBodyFirst()
  app.use((c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    return isUploadPath(c.req.method, c.req.path, c.req.header('content-type')) ? next() : limitBody(c, next)
  })
  app.use(requireSameOrigin())
  app.use((c, next) => (isUploadPath(c.req.method, c.req.path, c.req.header('content-type')) ? next() : readForm(c, next)))
  app.use(loadAuth())
  app.use(async (c, next) => {
    await next()
    // A guard asked for it (an activated user's delivery-only session): delete it and its cookie.
    if (c.var.endSession) await endSession(c)
  })
  // The terms before anything else a session reaches, two-factor set-up included (routes/terms.tsx).
  app.use(sendToTermsAcceptance())
  app.use(sendToTwoFactorSetup())

  // Each sub-app answers under its own prefix; the client area's home and the login pair sit at the root.
  app.route('/', dashboardRoutes())
  app.route('/', authRoutes())
  app.route('/login', secondStepRoutes())
  app.route('/area', areaRoutes())
  app.route('/documents', documentRoutes())
  app.route('/d', deliveryRoutes())
  app.route('/', uploadRoutes())
  app.route('/', protocolRoutes())
  app.route('/users', userRoutes())
  app.route('/account', accountRoutes())
  app.route('/account/2fa', accountTwoFactorRoutes())
  app.route('/reset', resetRoutes())
  app.route('/pendencias', requestRoutes())
  app.route('/comprovantes', receiptCheckRoutes())
  app.route('/checkpoints', checkpointRoutes())
  app.route('/termos', termsRoutes())

  const allowedMethods = allowedMethodsOf(app)
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path)
    if (allowed.length > 0 && !allowed.includes(c.req.method)) return methodNotAllowedPage(c as PortalContext, allowed)
    return notFoundPage(c as PortalContext)
  })
  app.onError((error, c) => handleError(error, c as PortalContext, deps))
  return app
}

// Hono answers HEAD with the GET handler minus the body, which would log a view or a download
// that served nothing. Documents and links are for GET only; nothing else in the portal logs.
const LOGGED_PATHS = /^\/(documents|d)\//

function refuseHeadOnDocuments(): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (c.req.method !== 'HEAD' || !LOGGED_PATHS.test(c.req.path)) return next()
    return c.body(null, 405, { Allow: 'GET' })
  }
}

// Firm options change rarely; reading them once a second instead of on every request keeps the
// download path short (the bench's gated download), and a change shows within a second.
function firmOptionsLoader(deps: PortalDeps): () => Promise<FirmOptions> {
  const ttl = deps.firmOptionsTtlMs ?? 1000
  let cached: { value: FirmOptions; at: number } | null = null
  return async () => {
    const current = Date.now()
    if (cached && ttl > 0 && current - cached.at < ttl) return cached.value
    const value = await getFirmOptions(deps.db)
    cached = { value, at: current }
    return value
  }
}

/** Refusals get their page from the one refusal map; the rest are logged, never shown. */
function handleError(error: unknown, c: PortalContext, deps: PortalDeps): Response {
  const refusal = refusalOf(error)
  if (refusal) return errorPage(c, refusal)
  if (error instanceof UnavailableError) {
    deps.logger.error(redactTokens(`portal: ${c.req.method} ${c.req.path}: ${error.message}`), error)
    return errorPage(c, { status: 503, title: m.errors.unavailableTitle, message: m.errors.unavailable })
  }
  deps.logger.error(redactTokens(`portal: ${c.req.method} ${c.req.path}: unexpected error`), error)
  return errorPage(c, { status: 500, title: m.errors.serverTitle, message: m.errors.server })
}

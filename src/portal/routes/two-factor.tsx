import { Hono } from 'hono'
import QRCode from 'qrcode'
import {
  confirmTwoFactorSetup,
  disableTwoFactor,
  owesTwoFactorSetup,
  secondStepFor,
  startTwoFactorSetup,
  twoFactorState,
  verifySecondFactor,
  type TwoFactorSetupProof,
} from '../../core/identity/two-factor.js'
import type { ClientUser } from '../../core/identity/users.js'
import { render, viewerOf, type Auth, type PortalContext, type PortalEnv } from '../env.js'
import { field } from '../forms.js'
import { ACCOUNT_SETUP_PATH, requireArea } from '../guards.js'
import { m } from '../messages.js'
import { messagePage } from '../pages.js'
import { formRefusal } from '../refusals.js'
import { CODE_PATH, finishPendingLogin, pendingOf, SETUP_PATH } from '../second-step.js'
import { RecoveryCodesPage, SecondStepPage, TwoFactorSetupPage } from '../views/two-factor.js'
import { accountPage } from './account.js'

// Two-factor login in the portal (docs/rules.md#two-factor-login): the login's second step and
// forced set-up (under /login, working from the pending-login cookie, never a session), and
// turning it on or off on /account (or setting it up there when the policy now covers an open
// session), with the current password.

const ACCOUNT_PATH = ACCOUNT_SETUP_PATH

function expiredPage(c: PortalContext): Response {
  const link = { href: '/login', text: m.twoFactor.loginAgain }
  return messagePage(c, { viewer: null, title: m.twoFactor.expiredTitle, message: m.twoFactor.expired, kind: 'error', link }, 401)
}

async function setupPage(
  c: PortalContext,
  user: ClientUser,
  page: { action: string; auth: Auth | null; required?: boolean; askPassword?: boolean; error?: string },
  status = 200,
): Promise<Response> {
  const setup = await startTwoFactorSetup(c.var.deps.db, c.var.deps.key, user, c.var.firm.firmName)
  const qrSvg = await QRCode.toString(setup.uri, { type: 'svg', margin: 2, width: 232, errorCorrectionLevel: 'M' })
  const { action, auth, required, askPassword, error } = page
  return render(
    c,
    TwoFactorSetupPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth), setup, qrSvg, action, required, askPassword, error }),
    status,
  )
}

async function readCode(c: PortalContext): Promise<string> {
  return field(await c.req.parseBody(), 'code')
}

/** Confirms a set-up: the recovery codes, or the refusal to show on the form. */
async function confirm(
  c: PortalContext,
  user: ClientUser,
  code: string,
  proof: TwoFactorSetupProof,
): Promise<string[] | { status: number; message: string }> {
  const { db, key, hasher } = c.var.deps
  try {
    return await confirmTwoFactorSetup(db, key, { userId: user.id, code, ip: c.var.address.ip, proof }, hasher)
  } catch (error) {
    return formRefusal(c, error)
  }
}

/** GET/POST /login/codigo and /login/configurar: what a login owes after the password. */
export function secondStepRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  /** Sends the login on when nothing is owed any more (two-factor reset or the policy lifted meanwhile). */
  async function finishNow(c: PortalContext, found: NonNullable<Awaited<ReturnType<typeof pendingOf>>>): Promise<Response> {
    const next = await finishPendingLogin(c, found.pending, found.user)
    return next ? c.redirect(next, 303) : expiredPage(c)
  }

  app.get('/codigo', async (c) => {
    const found = await pendingOf(c)
    if (!found) return expiredPage(c)
    const step = await secondStepFor(c.var.deps.db, found.user, c.var.firm.require2fa)
    if (step === 'setup') return c.redirect(SETUP_PATH, 303)
    if (step === 'none') return finishNow(c, found)
    return render(c, SecondStepPage({ firmName: c.var.firm.firmName, action: CODE_PATH }))
  })

  app.post('/codigo', async (c) => {
    const found = await pendingOf(c)
    if (!found) return expiredPage(c)
    const code = await readCode(c)
    const { db, key } = c.var.deps
    try {
      await verifySecondFactor(db, key, { userId: found.user.id, code, ip: c.var.address.ip })
    } catch (error) {
      const refusal = formRefusal(c, error)
      return render(c, SecondStepPage({ firmName: c.var.firm.firmName, action: CODE_PATH, error: refusal.message }), refusal.status)
    }
    return finishNow(c, found)
  })

  app.get('/configurar', async (c) => {
    const found = await pendingOf(c)
    if (!found) return expiredPage(c)
    const step = await secondStepFor(c.var.deps.db, found.user, c.var.firm.require2fa)
    if (step === 'code') return c.redirect(CODE_PATH, 303)
    if (step === 'none') return finishNow(c, found)
    return setupPage(c, found.user, { action: SETUP_PATH, auth: null, required: true })
  })

  app.post('/configurar', async (c) => {
    const found = await pendingOf(c)
    if (!found) return expiredPage(c)
    const codes = await confirm(c, found.user, await readCode(c), { pendingLogin: found.pending })
    if (!Array.isArray(codes)) {
      return setupPage(c, found.user, { action: SETUP_PATH, auth: null, required: true, error: codes.message }, codes.status)
    }
    const next = await finishPendingLogin(c, found.pending, found.user)
    if (!next) return expiredPage(c)
    return render(c, RecoveryCodesPage({ firmName: c.var.firm.firmName, codes, next }))
  })

  return app
}

// The set-up page of a signed-in user: it asks for the current password, and says the firm
// requires it when the policy covers this user.
function accountSetup(c: PortalContext, auth: Auth) {
  const required = owesTwoFactorSetup(c.var.firm.require2fa, auth.user, auth.twoFactorOn)
  return { action: ACCOUNT_PATH, auth, required, askPassword: true }
}

/** GET/POST /account/2fa (turn on) and POST /account/2fa/off. */
export function accountTwoFactorRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    if ((await twoFactorState(c.var.deps.db, auth.user.id)).enabled) return c.redirect('/account', 303)
    return setupPage(c, auth.user, accountSetup(c, auth))
  })

  app.post('/', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const form = await c.req.parseBody()
    const password = field(form, 'password')
    if (!password) return setupPage(c, auth.user, { ...accountSetup(c, auth), error: m.twoFactor.passwordMissing }, 400)
    const codes = await confirm(c, auth.user, field(form, 'code'), { password, sessionId: auth.session.id })
    if (!Array.isArray(codes)) {
      if ((await twoFactorState(c.var.deps.db, auth.user.id)).enabled) return accountPage(c, auth, { errors: [{ fieldId: null, message: codes.message }] }, codes.status)
      return setupPage(c, auth.user, { ...accountSetup(c, auth), error: codes.message }, codes.status)
    }
    return render(c, RecoveryCodesPage({ firmName: c.var.firm.firmName, viewer: viewerOf(auth), codes, next: '/account' }))
  })

  app.post('/off', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const form = await c.req.parseBody()
    const password = field(form, 'password')
    const code = field(form, 'code').trim()
    if (!password && !code) return accountPage(c, auth, { errors: [{ fieldId: null, message: m.twoFactor.offMissing }] }, 400)
    const { db, key, hasher } = c.var.deps
    try {
      await disableTwoFactor(db, key, { user: auth.user, policy: c.var.firm.require2fa, password, code, ip: c.var.address.ip }, hasher)
    } catch (error) {
      const refusal = formRefusal(c, error)
      return accountPage(c, auth, { errors: [{ fieldId: null, message: refusal.message }] }, refusal.status)
    }
    return c.redirect('/account?feito=2fa', 303)
  })

  return app
}

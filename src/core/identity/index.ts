// The public face of src/core/identity/, client users: accounts, passwords, sessions, second
// factors and visibility. Only re-exports: modules inside core import each other directly, never a
// face, so a face closes no import cycle (docs/rules.md#architecture).
export { authenticateThrottled, type LoginResult, lookupSessionUser } from './authentication.js'
export { changePassword, setPassword } from './credentials.js'
export { issueDeviceCookie, trustedDeviceOf } from './device-cookies.js'
export {
  IP_POLICY,
  KNOWN_ADDRESS_DAYS,
  PAIR_POLICY,
  REGISTRATION_POLICY,
  USERNAME_POLICY,
} from './login-throttle.js'
export { createPasswordPool } from './password-pool.js'
export { createPasswordReset, findPasswordReset, resetPasswordWithToken } from './password-resets.js'
export { confirmPassword, inlineHasher, type PasswordHasher, validatePassword } from './passwords.js'
export {
  createPendingLogin,
  endPendingLogin,
  lookupPendingLogin,
  PENDING_LOGIN_SECONDS,
  type PendingLogin,
} from './pending-logins.js'
export { addUser, addUserWithResetLink, registerUser, type Registration } from './registration.js'
export {
  createSession,
  deleteSession,
  endedSessionReason,
  endExpiredSessions,
  type Session,
  type SessionEndReason,
  type SessionScope,
} from './sessions.js'
export {
  acceptTerms,
  activeUserCount,
  currentTerms,
  listTerms,
  MAX_TERMS_BYTES,
  publishTerms,
  type TermsSummary,
  type TermsVersion,
} from './terms.js'
export {
  confirmTwoFactorSetup,
  disableTwoFactor,
  groupedSecret,
  owesTwoFactorSetup,
  resetTwoFactor,
  secondStepFor,
  startTwoFactorSetup,
  twoFactorRequired,
  type TwoFactorSetup,
  type TwoFactorSetupProof,
  twoFactorState,
  type TwoFactorState,
  twoFactorUserIds,
  verifySecondFactor,
} from './two-factor.js'
export {
  activateUser,
  activateUsers,
  type ClientUser,
  disableUser,
  enableUser,
  getUser,
  listUsers,
  parseRole,
  resolveUser,
  setUserRole,
  usernameKey,
  type UserRole,
  type UserStatus,
  validateUsername,
} from './users.js'
export {
  areaClientIds,
  canSee,
  getVisibility,
  PENDING_HIDDEN_CATEGORY,
  scopeOfFreshUser,
  setVisibility,
  type Visibility,
  type VisibleScope,
} from './visibility.js'

// The public face of src/core/clients/, the firm, its clients, their groups and their contact
// details. Only re-exports: modules inside core import each other directly, never a face, so a face
// closes no import cycle (docs/rules.md#architecture).
export {
  addClient,
  addClientOnce,
  type Client,
  clientLoginLink,
  clientNames,
  type ClientPatch,
  describeClient,
  editClient,
  effectiveRequireLogin,
  findClientByLoginToken,
  getClient,
  listClientPage,
  listClients,
  listClientsByIds,
  loginLinkToken,
  loginLinkUrl,
  type RequireLogin,
  resolveClient,
  rotateLoginLink,
  setClientRequireLogin,
} from './clients.js'
export { clientJson, clientListJson } from './client-json.js'
export { normaliseEmail } from './email-address.js'
export { mailFromAddress } from './firm-contact.js'
export {
  type FirmOptions,
  type FirmOptionsPatch,
  getFirmOptions,
  initFirm,
  normaliseBaseUrl,
  setFirmOptions,
  type TwoFactorPolicy,
} from './firm.js'
export { addGroupMembers, getGroup, removeGroupMembers } from './groups.js'
export { formatBrazilianPhone, parseBrazilianPhone } from './phone.js'
export {
  DEFAULT_LOG_RETENTION,
  DEFAULT_RETENTION,
  formatPeriod,
  formatRetentionPolicy,
  monthsOf,
  parseLogRetention,
  parseRetentionPolicy,
  type RetentionPeriod,
  type RetentionPolicy,
} from './retention-policy.js'
export { formatTaxId, stripTaxId, taxIdKind } from './tax-id.js'

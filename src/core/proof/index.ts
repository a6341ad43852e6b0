// The public face of src/core/proof/: signing keys, checkpoints and receipts (the receipt's PDF has
// a face of its own, receipt-pdf/). Only re-exports: modules inside core import each other
// directly, never a face, so a face closes no import cycle (docs/rules.md#architecture).
export { type ConsistencyAnswer, consistencyBetween, newestSignedCheckpoint, type TreeHead } from './consistency.js'
export { checkpointText, createCheckpoint, verifyLogWithCheckpoints } from './checkpoints.js'
export {
  keyIdOf,
  loadPublicKeys,
  loadSigningKeys,
  publicKeyFromBase64,
  type PublicKeyInfo,
  rotateSigningKeys,
} from './keys.js'
export { type Protocol } from './protocol-format.js'
export { parseAnyReceipt, verifyAnyReceipt } from './protocol-verify.js'
export { issueNothingToSendProtocol, issuePaidProtocol, issueUploadProtocol } from './protocols.js'
export { issueReceipt, parseReceipt, recheckReceipt, verifyReceipt } from './receipts.js'
export { readWitness, type Witness, witnessPathOf } from './witness.js'

// The privacy face (docs/privacy.md): a person's data under the LGPD, found, exported, erased.
export { erasePerson, type ErasureReport, PERSON_ERASED } from './erasure.js'
export { type KeptPlace } from './erasure-places.js'

// The privacy face (docs/privacy.md): a person's data under the LGPD, found, exported, erased.
export { erasePerson, type ErasureReport, PERSON_ERASED } from './erasure.js'
export { type KeptPlace } from './erasure-places.js'
export { EXPORT_FORMAT, type ExportMeta, exportPersonToFile, writePersonExport } from './export.js'
export { LOG_PLACE, type Person, type PersonKey, type Place, PLACES, placeCount, placeRows } from './footprint.js'
export { findPerson, logPersonOf, parseCpf, type PlaceFootprint, resolvePerson } from './person.js'
export { exportOwnData, type ExportOrigin, PRIVACY_EXPORTED } from './own-export.js'

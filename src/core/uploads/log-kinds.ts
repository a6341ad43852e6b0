import { defineEventKind } from '../access-log/chain/format-v2.js'

// The access-log kinds of uploads (docs/access-log.md, "Kinds"), declared once when this module
// loads. Details hold ids, categories, media types, sizes and SHA-256s; never a file name, a note
// or a reason (free text stays in the rows, which can forget it).

export const UPLOAD_RECEIVED = 'upload.received'
export const UPLOAD_ACCEPTED = 'upload.accepted'
export const UPLOAD_REJECTED = 'upload.rejected'
/** The firm took the files of an upload (`confi inbox get`). */
export const UPLOAD_DOWNLOADED = 'upload.downloaded'

for (const kind of [UPLOAD_RECEIVED, UPLOAD_ACCEPTED, UPLOAD_REJECTED, UPLOAD_DOWNLOADED]) {
  defineEventKind(kind, { document: false, client: true })
}

import { ValidationError } from '../errors.js'
import { ACCEPTED_TYPES } from './file-types.js'

/** Why an upload's body was refused; the portal answers each with its status and pt-BR page. */
export type UploadProblem =
  | 'too_large'
  | 'upload_too_large'
  | 'too_many_files'
  | 'type_not_accepted'
  | 'empty_file'
  | 'no_file'
  | 'interrupted'
  | 'malformed'
  | 'already_received'

/**
 * A refused upload (docs/uploads.md): nothing of it is kept. `fileName` names the file at fault
 * (cleaned), `limit` the limit it broke (bytes or files).
 */
export class UploadRefusedError extends ValidationError {
  constructor(
    readonly problem: UploadProblem,
    message: string,
    readonly details: { fileName?: string; limit?: number } = {},
  ) {
    super(message)
  }

  /** The form's text fields as sent (a note, a company): the form shown again keeps what was typed. */
  fields: ReadonlyMap<string, string> = new Map()
}

export const refusals = {
  tooLarge: (fileName: string, maxBytes: number) =>
    new UploadRefusedError('too_large', `file '${fileName}' is larger than ${maxBytes / (1024 * 1024)} MB`, { fileName, limit: maxBytes }),
  uploadTooLarge: (maxBytes: number) =>
    new UploadRefusedError('upload_too_large', `the upload is larger than ${Math.floor(maxBytes / (1024 * 1024))} MB in all`, { limit: maxBytes }),
  tooMany: (maxFiles: number) =>
    new UploadRefusedError('too_many_files', `more than ${maxFiles} files in one upload`, { limit: maxFiles }),
  type: (fileName: string) =>
    new UploadRefusedError(
      'type_not_accepted',
      `file '${fileName}' is not of an accepted type (${ACCEPTED_TYPES.join(', ')})`,
      { fileName },
    ),
  empty: (fileName: string) => new UploadRefusedError('empty_file', `file '${fileName}' is empty`, { fileName }),
  noFile: () => new UploadRefusedError('no_file', 'the upload has no file: choose at least one'),
  interrupted: () =>
    new UploadRefusedError('interrupted', 'the upload was interrupted before it ended: nothing was kept, send it again'),
  malformed: (why: string) => new UploadRefusedError('malformed', `the upload is not a valid form (${why})`),
  alreadyReceived: (fileName: string) =>
    new UploadRefusedError('already_received', `file '${fileName}' holds a fiscal document this client already sent`, { fileName }),
}

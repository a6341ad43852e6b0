import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { ValidationError, type Remedy } from '../errors.js'

/** Fsyncs a directory, so a rename or a new file in it survives a crash (POSIX). */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** A hidden temporary name beside `path`: same directory, so a rename into place is atomic. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
}

/** A clear refusal for an output path that cannot be written, naming the file (`what`). */
export function unwritable(what: string, path: string, error: unknown, remedy?: Remedy): ValidationError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
  const why =
    code === 'ENOENT'
      ? `the directory ${dirname(path)} does not exist`
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only file system'
          : String(code)
  return new ValidationError(`cannot write ${what} ${path} (${why}): choose a writable path`, { remedy })
}

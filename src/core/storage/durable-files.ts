import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
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

/**
 * Writes `text` to a new private temporary file beside `path` (folder 0700, file 0600) and
 * fsyncs it; the caller moves it into place and then syncs the folder. Returns its name.
 */
export function writePrivateTemp(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const temp = tempNameFor(path)
  const fd = openSync(temp, 'wx', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return temp
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
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? 'no space left on the device'
            : String(code)
  const fix = code === 'ENOSPC' || code === 'EDQUOT' ? 'free space there or choose another path' : 'choose a writable path'
  return new ValidationError(`cannot write ${what} ${path} (${why}): ${fix}`, { remedy })
}

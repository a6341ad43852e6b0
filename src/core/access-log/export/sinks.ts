import { once } from 'node:events'
import { closeSync, existsSync, fchmodSync, fstatSync, fsyncSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs'
import type { Writable } from 'node:stream'
import { ValidationError } from '../../errors.js'
import { tempNameFor, unwritable } from '../../storage/durable-files.js'
import { PRIVATE_FILE_MODE } from '../../file-modes.js'

/** Where the export goes: a stream (stdout; give its fd to make `>>` appends exact) or a file. */
export type ExportTarget =
  | { kind: 'stream'; stream: Writable; fd?: number }
  | { kind: 'file'; path: string }

export interface Sink {
  /** `latin1`: the text holds bytes, one character each (export-postgres.ts), written as they are. */
  write(text: string, encoding?: 'utf8' | 'latin1'): Promise<void>
  /** Everything written is flushed (and fsynced when it is a file). */
  finish(): Promise<void>
  /** Removes what can be removed after a failure. */
  abort(): void
}

export function streamSink(stream: Writable, fd: number | undefined): Sink {
  return {
    async write(text, encoding = 'utf8') {
      if (!stream.write(text, encoding)) await once(stream, 'drain')
    },
    async finish() {
      await new Promise<void>((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())))
      if (fd !== undefined && isRegularFd(fd)) fsyncSync(fd)
    },
    abort() {},
  }
}

function isRegularFd(fd: number): boolean {
  try {
    return fstatSync(fd).isFile()
  } catch {
    return false
  }
}

export interface FileSink extends Sink {
  tempPath: string
  fd: number
}

// The output appears only when it is complete: written to a temporary file beside it, fsynced,
// renamed over the target.
export function fileSink(path: string): FileSink {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new ValidationError(`the output file ${path} is a directory: give a file name`, { remedy: 'output_file' })
  }
  const tempPath = tempNameFor(path)
  let fd: number
  try {
    fd = openSync(tempPath, 'wx', PRIVATE_FILE_MODE)
    // The mode passed to open is masked by the umask; exports hold personal data (docs/security.md).
    fchmodSync(fd, PRIVATE_FILE_MODE)
  } catch (error) {
    throw unwritable('the output file', path, error, 'output_file')
  }
  let open = true
  return {
    tempPath,
    fd,
    // A full disk half way is the user's to fix, not an unexpected error (the caller aborts,
    // removing the temporary file).
    async write(text, encoding = 'utf8') {
      try {
        writeSync(fd, text, null, encoding)
      } catch (error) {
        throw unwritable('the output file', path, error, 'output_file')
      }
    },
    async finish() {
      try {
        fsyncSync(fd)
      } catch (error) {
        throw unwritable('the output file', path, error, 'output_file')
      }
      closeSync(fd)
      open = false
    },
    abort() {
      if (open) closeSync(fd)
      open = false
      try {
        unlinkSync(tempPath)
      } catch {
        // already gone
      }
    },
  }
}

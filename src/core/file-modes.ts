import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'

// The database, its WAL and SHM, backups and exports hold every client's data and the access log:
// readable by the firm's account only (0600, directories 0700), whatever the umask
// (docs/security.md, "Files on disk"). The umask can only narrow a mode given at creation, so each
// path is also chmod-ed to exactly the mode.

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/** Sets 0600 on each of these paths that exists. */
export function makePrivate(...paths: string[]): void {
  for (const path of paths) if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE)
}

/** Creates `path` empty with mode 0600 unless it exists; leaves an existing file's content alone. */
export function createPrivateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE))
  chmodSync(path, PRIVATE_FILE_MODE)
}

/** Creates the directory (and missing parents) and sets 0700 on it. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE })
  chmodSync(path, PRIVATE_DIR_MODE)
}

/** The SQLite file and its companions: SQLite gives the WAL and SHM the database file's mode. */
export function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`]
}

import { join } from 'node:path'
import type { Config } from '../config/app-config.js'
import { createDiskFileStore } from './disk/disk-store.js'
import type { FileStore } from './file-store.js'

/**
 * The attachment store the configuration names: today always the disk store in
 * `<dataDir>/files`. Callers hold only the FileStore interface, so another store (object
 * storage) is a new folder beside disk/ and a choice made here.
 */
export function createFileStore(config: Pick<Config, 'dataDir'>): FileStore {
  return createDiskFileStore(join(config.dataDir, 'files'))
}

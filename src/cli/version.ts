import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * confi's version from its package.json, found by walking up from this module: the same code runs
 * from dist/cli/ (tsc output) and from dist/confi/ (the bundle).
 */
export function confiVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (!existsSync(file)) continue
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
    if (manifest.name === 'confi' && manifest.version) return manifest.version
  }
  return 'unknown'
}

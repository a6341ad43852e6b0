import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { UnavailableError } from '../errors.js'

/**
 * Where the compiled worker `module` (a path inside the folder of core's `concept`, by default this
 * one, e.g. 'commit/commit-worker') is: there in tsc's dist/, at the bundle's root as `bundleName` when this module is bundled into
 * dist/confi/ or one of its chunks/ (scripts/bundle-cli.mjs makes each worker an entry point),
 * and, for the test runner that runs src/ as TypeScript, the copy `npm run build` put in dist/.
 */
export function workerFile(module: string, bundleName: string, what: string, concept = 'access-log'): string {
  const candidates = [
    `../${concept}/${module}.js`,
    `./${bundleName}.js`,
    `../${bundleName}.js`,
    `../../../dist/core/${concept}/${module}.js`,
  ].map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  const found = candidates.find((file) => existsSync(file))
  if (!found) throw new UnavailableError(`the ${what} is missing (looked for ${candidates[0]}): run 'npm run build'`)
  return found
}

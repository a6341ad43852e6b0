import { configDefaults, defineConfig } from 'vitest/config'

// Browser tests need Debian's chromium; they run with `npm run test:e2e` (CONFI_E2E=1).
const e2e = process.env.CONFI_E2E === '1'

export default defineConfig({
  test: {
    include: e2e ? ['test/e2e/**/*.test.ts'] : ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: e2e ? configDefaults.exclude : [...configDefaults.exclude, 'test/e2e/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only make the spawned CLIs and browsers fight for them.
    maxWorkers: 2,
  },
})

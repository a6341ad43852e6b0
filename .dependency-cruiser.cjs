/**
 * Architecture rules checked by `npm run lint:deps` (and so by CI); see
 * docs/rules.md#architecture and docs/decisions.md (issue 8).
 */

// Core folders, lowest first: a folder may import the root leaves, itself and
// the folders before it, never a folder after it.
const CORE_LAYERS = ['config', 'db', 'audit', 'storage', 'clients', 'access-log', 'identity', 'documents', 'delivery', 'mail', 'proof', 'import', 'ops']

const rootLeavesImportNoFolder = {
  name: 'core-root-leaves-import-no-folder',
  comment: 'errors, time, tokens and actors are shared leaves: they import only each other.',
  severity: 'error',
  from: { path: '^src/core/[^/]+\\.ts$' },
  to: { path: '^src/core/[^/]+/' },
}

const downwardOnly = CORE_LAYERS.slice(0, -1).map((layer, index) => ({
  name: `core-${layer}-imports-downward-only`,
  comment: `src/core/${layer} may not import ${CORE_LAYERS.slice(index + 1).join(', ')} (higher layers).`,
  severity: 'error',
  from: { path: `^src/core/${layer}/` },
  to: { path: `^src/core/(${CORE_LAYERS.slice(index + 1).join('|')})/` },
}))

module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-adapter',
      comment: 'Core holds every rule; the CLI and the portal are adapters that call it, never the reverse.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(cli|portal)/' },
    },
    {
      name: 'portal-imports-no-cli',
      comment: 'The portal is started by the CLI, it never reaches into it.',
      severity: 'error',
      from: { path: '^src/portal/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycles in src/, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'database-drivers-only-in-core-db',
      comment: 'Only src/core/db opens database connections; everything else goes through Kysely and the Db handle.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: '^src/core/db/' },
      to: { path: '^node_modules/(pg|pg-copy-streams|better-sqlite3)/' },
    },
    rootLeavesImportNoFolder,
    ...downwardOnly,
  ],
  options: {
    includeOnly: '^(src|node_modules/(pg|pg-copy-streams|better-sqlite3))/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.d.ts'],
    },
    doNotFollow: { path: 'node_modules' },
  },
}

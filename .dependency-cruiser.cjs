/**
 * Architecture rules checked by `npm run lint:deps` (and so by CI); see
 * docs/rules.md#architecture and docs/decisions.md (issue 8).
 */

// Core folders, lowest first: a folder may import the root leaves, itself and
// the folders before it, never a folder after it.
const CORE_LAYERS = ['config', 'db', 'audit', 'storage', 'clients', 'access-log', 'identity', 'documents', 'delivery', 'mail', 'requests', 'uploads', 'proof', 'import', 'ops', 'privacy', 'retention']

const rootLeavesImportNoFolder = {
  name: 'core-root-leaves-import-no-folder',
  comment: 'errors, time, tokens and actors are shared leaves: they import only each other.',
  severity: 'error',
  from: { path: '^src/core/[^/]+\\.ts$' },
  to: { path: '^src/core/[^/]+/' },
}

// Faces kept apart from their concept's index.ts because they load a heavy library that most
// commands never need (docs/rules.md#architecture): the receipt PDF (pdf-lib, qrcode).
const SEPARATE_FACES = ['proof/receipt-pdf']

// What the CLI and the demo filler may import of core: a concept's face, a root leaf module or a
// separate face.
const CORE_FACES = ['^src/core/[^/]+\\.ts$', '^src/core/[^/]+/index\\.ts$', ...SEPARATE_FACES.map((face) => `^src/core/${face}/index\\.ts$`)]

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
      name: 'core-imports-no-demo',
      comment: 'Demo data is filled from outside core, through the functions core exports.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/demo/' },
    },
    {
      name: 'portal-imports-no-demo',
      comment: 'The portal serves whatever is in the database; only the CLI fills demo data.',
      severity: 'error',
      from: { path: '^src/portal/' },
      to: { path: '^src/demo/' },
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
    {
      name: 'sqlite-driver-only-in-its-folder',
      comment: 'Each backend keeps its driver in its own folder of src/core/db, as Kysely keeps its dialects.',
      severity: 'error',
      from: { pathNot: '^src/core/db/sqlite/' },
      to: { path: '^node_modules/better-sqlite3/' },
    },
    {
      name: 'postgres-driver-only-in-its-folder',
      comment: 'Each backend keeps its driver in its own folder of src/core/db, as Kysely keeps its dialects.',
      severity: 'error',
      from: { pathNot: '^src/core/db/postgres/' },
      to: { path: '^node_modules/(pg|pg-copy-streams)/' },
    },
    {
      name: 'cli-and-demo-import-core-faces-only',
      comment: "The CLI and the demo filler reach core through a concept's face (src/core/<concept>/index.ts) or a root leaf, one road a reader can follow.",
      severity: 'error',
      from: { path: '^src/(cli|demo)/' },
      to: { path: '^src/core/', pathNot: CORE_FACES },
    },
    {
      name: 'core-imports-no-face',
      comment: 'Inside core, modules import each other directly: a face is for callers outside core, so it can never close an import cycle.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/core/.+/index\\.ts$' },
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

// The import rules of web/src, checked in `npm test` (tests/js/layers.test.ts) by dependency-cruiser.
// Data flows one way: page → elements → jobs → engine → wasm (the Embind module's types).
// A layer may import itself and the layers below it, never one above; nothing imports the public
// entry (index.ts) from inside; and there are no cycles, type-only imports included, because a
// type-only cycle is still two files that cannot be understood one without the other.
const layer = (name) => `^web/src/${name}/`;
const below = {
  wasm: [],
  engine: ['wasm'],
  jobs: ['engine', 'wasm'],
  elements: ['jobs', 'engine', 'wasm'],
  page: ['elements', 'jobs', 'engine', 'wasm'],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Imports form no cycle, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-public-entry-inside',
      severity: 'error',
      comment: 'web/src/index.ts only re-exports for package users; code inside imports the module it needs.',
      from: { path: '^web/src/' },
      to: { path: '^web/src/index\\.ts$' },
    },
    ...Object.entries(below).map(([name, allowed]) => ({
      name: `${name}-imports-only-below`,
      severity: 'error',
      comment: `web/src/${name} may import itself${allowed.length ? ` and ${allowed.join(', ')}` : ''}, nothing above it.`,
      from: { path: layer(name) },
      to: {
        path: '^web/src/',
        pathNot: [layer(name), ...allowed.map(layer)].join('|'),
      },
    })),
    {
      name: 'entry-imports-engine-and-jobs',
      severity: 'error',
      comment: 'The public entry re-exports the engine wrapper and the jobs; the elements have their own entry.',
      from: { path: '^web/src/index\\.ts$' },
      to: { path: '^web/src/', pathNot: `${layer('engine')}|${layer('jobs')}` },
    },
    {
      name: 'element-base-below-elements',
      severity: 'error',
      comment: 'The shared element base knows no particular element.',
      from: { path: '^web/src/elements/base/' },
      to: { path: '^web/src/elements/', pathNot: '^web/src/elements/(base|vendor)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'Every relative import names a file that exists.',
      from: { path: '^web/src/' },
      to: { couldNotResolve: true, pathNot: '^node:' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: they are edges of the design even when the compiler erases them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Specifiers ending in .js name the .ts source beside them (TypeScript's ESM convention).
    enhancedResolveOptions: { extensions: ['.ts', '.d.ts', '.js', '.mjs', '.d.mts'] },
  },
};

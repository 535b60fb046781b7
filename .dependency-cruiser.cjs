// The import rules of issue 14, checked by `npm run lint` (dependency-cruiser):
//  1. a module (src/modules/<x>/) makes no value import from another module's files; it reaches
//     other modules through src/contracts/ (type-only imports are allowed: they vanish at run time).
//     The one exception: tests (`*.test.ts`) may use a real state store through
//     src/modules/state-store/test-fixture.ts, and nothing but tests may import that file;
//  2. src/contracts/ imports nothing from the kernel or the modules (not even types);
//  3. the CLI (src/cli/) imports only the contracts, its own files (the API client among them), the
//     kernel's pure helpers (errors, quantity parsing), src/version.ts, src/paths.ts (default
//     locations) and the local simulator (src/sim/); nothing else, not even types;
//  4. src/policies/ (the pure decisions the daemon's modules and the simulator share: scaling,
//     keep-alive, QoS) imports only contracts, the kernel's pure helpers and itself, and no
//     Node built-in: no I/O, no clocks.
// There is no allowlist: every violation fails the lint.

const testFixture = '^src/modules/state-store/test-fixture\\.ts$';


const rules = [
  {
    name: 'no-cross-module-import',
    comment: 'A module reaches another only through src/contracts/, never by importing its files.',
    severity: 'error',
    from: { path: '^src/modules/([^/]+)/' },
    to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', testFixture], dependencyTypesNot: ['type-only'] },
  },
  {
    name: 'test-fixture-only-in-tests',
    comment: 'The state-store test fixture is for tests: no module code may import it.',
    severity: 'error',
    from: { path: '^src/', pathNot: '\\.test\\.ts$' },
    to: { path: testFixture },
  },
  {
    name: 'contracts-import-nothing',
    comment: 'Contracts are types and schemas only: nothing from the kernel or the modules.',
    severity: 'error',
    from: { path: '^src/contracts/' },
    to: { path: '^src/(kernel|modules)/' },
  },
  {
    name: 'cli-imports-contracts-and-client',
    comment: 'The CLI is a client of the API: contracts, its client, pure kernel helpers and the local simulator.',
    severity: 'error',
    from: { path: '^src/cli/' },
    to: { path: '^src/', pathNot: ['^src/(cli|contracts|sim)/', '^src/kernel/(errors|quantity)\\.ts$', '^src/(version|paths)\\.ts$'] },
  },
  {
    name: 'policies-are-pure',
    comment: 'Shared decisions are pure functions: contracts, pure kernel helpers and each other only.',
    severity: 'error',
    from: { path: '^src/policies/', pathNot: '\\.test\\.ts$' },
    to: { pathNot: ['^src/(policies|contracts)/', '^src/kernel/(errors|quantity)\\.ts$'] },
  },
];

module.exports = {
  forbidden: rules,
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^dist/', 'node_modules'] },
    // See type-only imports as such (rule 1 allows them; rules 2 and 3 do not).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};

// The one file of a module that other modules' tests may import (.dependency-cruiser.cjs allows
// `*.test.ts` -> this file and nothing else): a real state store as a test fixture, so unit tests
// run against SQLite rather than a fake of the store contract.
export { SqliteStore } from './sqlite-store.js';
export { sqliteStoreModule } from './module.js';

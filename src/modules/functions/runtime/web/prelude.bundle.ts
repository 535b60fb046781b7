// The bundled prelude's text. scripts/bundle-prelude.mjs replaces this module in dist/ with the
// text it bundled at build time; run from sources (tsx), it is null and prelude.ts bundles on first use.
export const PRELUDE_BUNDLE: string | null = null;

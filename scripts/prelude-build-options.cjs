// esbuild options for the in-isolate prelude (src/modules/functions/runtime/web/entry.ts), shared by
// the build step (bundle-prelude.mjs) and the on-first-use bundling from sources (runtime/prelude.ts).
// CommonJS so that prelude.ts can load it synchronously.
const { readFileSync } = require('node:fs');
const path = require('node:path');

const root = path.dirname(path.dirname(require.resolve('./prelude-build-options.cjs')));

/** formdata-polyfill carries an older fetch-blob (with its own stream polyfill and a Buffer shim): use the one the prelude uses. */
const oneFetchBlob = {
  name: 'one-fetch-blob',
  setup(build) {
    build.onResolve({ filter: /^fetch-blob(\/.*)?$/ }, (args) => ({ path: path.join(root, 'node_modules', 'fetch-blob', args.path.slice('fetch-blob/'.length) || 'index.js') }));
  },
};

/** fetch-blob opens with a top-level await that imports node:stream/web when ReadableStream is missing; the prelude defines its own, so that block goes. */
const fetchBlobForIsolates = {
  name: 'fetch-blob-for-isolates',
  setup(build) {
    build.onLoad({ filter: /fetch-blob[\\/](index|file)\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      const start = text.indexOf('if (!globalThis.ReadableStream)');
      const end = text.indexOf('// 64 KiB');
      if (start >= 0 && end > start) text = text.slice(0, start) + text.slice(end);
      // The File API lowercases the type (fetch-blob keeps it as given).
      text = text.replace('this.#type = /^[\\x20-\\x7E]*$/.test(type) ? type : \'\'', 'this.#type = /^[\\x20-\\x7E]*$/.test(type) ? type.toLowerCase() : \'\'');
      // formdata-polyfill imports the default export older fetch-blob versions had.
      if (!/export default/.test(text)) text += /index\.js$/.test(args.path) ? '\nexport default Blob;\n' : '\nexport default File;\n';
      return { contents: text, loader: 'js' };
    });
  },
};

function preludeBuildOptions(entry) {
  return {
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__llmos_prelude',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['import'],
    target: 'es2022',
    // Identifiers stay: class names are visible to functions (constructor.name, error messages).
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [oneFetchBlob, fetchBlobForIsolates],
  };
}

module.exports = { preludeBuildOptions };

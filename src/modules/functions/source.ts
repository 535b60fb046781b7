// Turns the files a user deploys (one .js/.ts file, or a directory with relative imports) into
// one script that defines `__llmos_mod` in an isolate. esbuild (shipped with tsx) bundles from
// memory and strips types; without it, TypeScript's transpileModule handles a single file.
import path from 'node:path';
import { InvalidArgument, Unavailable } from '../../kernel/errors.js';
import { findEntry, noEntryMessage } from '../../contracts/functions.js';

export const MODULE_GLOBAL = '__llmos_mod';

export interface SourceBundle {
  /** Relative path (posix) -> file text. */
  files: Record<string, string>;
  /** The entry file, a key of files. */
  entry: string;
}

const codeExt = /\.(m?[jt]s|cjs|cts|mts|json)$/;

/** Picks the entry of a directory: index.ts/js or main.*, else the only code file. */
export function pickEntry(names: string[]): string {
  const entry = findEntry(names);
  if (entry === undefined) throw new InvalidArgument(noEntryMessage(names.length));
  return entry;
}

export function validateBundle(b: SourceBundle): void {
  if (b.files[b.entry] === undefined) throw new InvalidArgument(`entry ${b.entry} is not among the deployed files`);
  for (const name of Object.keys(b.files)) {
    if (path.posix.isAbsolute(name) || path.posix.normalize(name).startsWith('..')) throw new InvalidArgument(`file name ${name} must be relative and inside the code directory`);
    if (!codeExt.test(name)) throw new InvalidArgument(`file ${name}: only .js, .ts, .mjs, .mts and .json files are deployed`);
  }
}

type Esbuild = typeof import('esbuild');
let esbuildPromise: Promise<Esbuild | null> | undefined;
const loadEsbuild = (): Promise<Esbuild | null> => (esbuildPromise ??= import('esbuild').then((m) => (m.default ?? m) as Esbuild).catch(() => null));

/** Bundles the files into one IIFE script; syntax or import errors become InvalidArgument. */
export async function compileSource(b: SourceBundle): Promise<string> {
  validateBundle(b);
  const esbuild = await loadEsbuild();
  if (!esbuild) return transpileSingle(b);
  try {
    const out = await esbuild.build({
      entryPoints: [b.entry],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: MODULE_GLOBAL,
      platform: 'neutral',
      target: 'es2022',
      logLevel: 'silent',
      plugins: [
        {
          name: 'llmos-memory',
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) => {
              // esbuild may hand the entry back as "./x" (when a file of that name exists in the daemon's cwd).
              if (args.kind === 'entry-point') return { path: path.posix.normalize(args.path), namespace: 'mem' };
              if (!args.path.startsWith('.')) return { errors: [{ text: `cannot import "${args.path}": functions bundle only relative imports (no packages, no node: modules)` }] };
              const base = path.posix.join(path.posix.dirname(args.importer), args.path);
              const hit = [base, ...['.ts', '.js', '.mjs', '.mts', '.json', '/index.ts', '/index.js'].map((e) => base + e), base.replace(/\.js$/, '.ts')].find((p) => b.files[p] !== undefined);
              if (!hit) return { errors: [{ text: `cannot resolve "${args.path}" from ${args.importer}` }] };
              return { path: hit, namespace: 'mem' };
            });
            build.onLoad({ filter: /.*/, namespace: 'mem' }, (args) => {
              const ext = path.posix.extname(args.path);
              const loader = ext === '.json' ? 'json' : ext === '.ts' || ext === '.mts' || ext === '.cts' ? 'ts' : 'js';
              return { contents: b.files[args.path]!, loader };
            });
          },
        },
      ],
    });
    return out.outputFiles[0]!.text;
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors;
    if (errors?.length) {
      const first = errors[0]!;
      const where = first.location ? `${first.location.file.replace(/^mem:/, "")}:${first.location.line}:${first.location.column}: ` : '';
      throw new InvalidArgument(`cannot build function code: ${where}${first.text}`);
    }
    throw new InvalidArgument(`cannot build function code: ${(e as Error).message}`);
  }
}

/** Fallback without esbuild: one file, types stripped, ESM turned into a CommonJS-style IIFE. */
async function transpileSingle(b: SourceBundle): Promise<string> {
  if (Object.keys(b.files).filter((f) => !f.endsWith('.json')).length > 1) throw new InvalidArgument('bundling a directory needs esbuild, which is not installed');
  const ts = await import('typescript').then(
    (m) => m.default,
    () => {
      throw new Unavailable('building function code needs esbuild (or typescript) installed next to LLMOS');
    },
  );
  const out = ts.transpileModule(b.files[b.entry]!, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, reportDiagnostics: true, fileName: b.entry });
  const diag = out.diagnostics?.[0];
  if (diag) throw new InvalidArgument(`cannot build function code: ${ts.flattenDiagnosticMessageText(diag.messageText, '\n')}`);
  return `var ${MODULE_GLOBAL} = (function () { var exports = {}; var module = { exports: exports };\n${out.outputText}\nreturn module.exports; })();`;
}

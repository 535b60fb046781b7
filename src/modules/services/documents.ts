// Manifest text -> documents for the services module and the API: the contract's parser and
// limits (src/contracts/manifest.ts), with its refusals as InvalidArgument (a 400 with the reason).
import { MANIFEST_LIMITS, ManifestRejected, checkDocuments as check, splitDocuments as split } from '../../contracts/manifest.js';
import { InvalidArgument } from '../../kernel/errors.js';

export { MANIFEST_LIMITS };

function invalid<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof ManifestRejected ? new InvalidArgument(e.message, { cause: e }) : e;
  }
}

/** Splits YAML or JSON text into documents; InvalidArgument when the contract's limits refuse it. */
export const splitDocuments = (text: string, source = 'input'): unknown[] => invalid(() => split(text, source));

/** Refuses too many, too deep or too large documents (InvalidArgument). */
export const checkDocuments = (docs: unknown[], source = 'input'): unknown[] => invalid(() => check(docs, source));

// DOMException (WebIDL): the names with their legacy codes, as web code and the web-platform-tests
// expect them (e.g. QuotaExceededError is code 22).
/* eslint-disable @typescript-eslint/no-explicit-any */

const codes: Record<string, number> = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5, NoModificationAllowedError: 7,
  NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14,
  InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

export class DOMException extends Error {
  readonly #name: string;
  constructor(message = '', name = 'Error') {
    super(String(message));
    this.#name = String(name);
  }
  override get name(): string {
    return this.#name;
  }
  get code(): number {
    return codes[this.#name] ?? 0;
  }
}
for (const [k, v] of Object.entries(codes)) {
  const constName = k.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() + '_ERR';
  Object.defineProperty(DOMException, constName, { value: v });
  Object.defineProperty(DOMException.prototype, constName, { value: v });
}
Object.defineProperty(DOMException.prototype, Symbol.toStringTag, { value: 'DOMException' });
(DOMException as any).prototype.constructor = DOMException;

// Types for the prelude's polyfills whose own typings TypeScript cannot reach under NodeNext
// resolution (no "types" in their package exports), or that do not declare what they export.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare module 'event-target-shim' {
  export class Event<T extends string = string> {
    constructor(type: T, init?: any);
    readonly type: T;
  }
  export class EventTarget<_M = any, _Mode = any> {
    addEventListener(type: string, fn: (e: any) => void, opts?: any): void;
    removeEventListener(type: string, fn: (e: any) => void, opts?: any): void;
    dispatchEvent(e: Event<any>): boolean;
  }
}
declare module '@ungap/structured-clone' {
  export function serialize(v: unknown, opts?: unknown): unknown;
  export function deserialize(v: unknown): any;
}
declare module 'formdata-polyfill/esm.min.js' {
  export const FormData: { new (): any; prototype: any };
  export type FormData = any;
  export const File: { new (parts: any[], name: string, opts?: any): any; prototype: any };
  export function formDataToBlob(fd: any, B?: any): any;
}

// The API's error mapping: the one shared by both HTTP edges, in src/kernel/http-errors.ts.
export { toHttp } from '../../kernel/http-errors.js';

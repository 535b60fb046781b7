// Device rules (`llmos fn deploy --on-device SELECTOR --when EXPR`): a small expression language
// parsed here, never eval'd. Pure and dependency-free, so the functions module validates a deploy
// with it and the iot module evaluates rules with the same code.
//   expr := or;  or := and ('||' and)*;  and := not ('&&' not)*;  not := '!' not | cmp
//   cmp := value (('>'|'>='|'<'|'<='|'=='|'!=') value)?;  value := number | 'string' | "string" | true | false | ident | '(' expr ')'
// A selector is comma-separated `key=value` / `key!=value` terms over model, name, node and labels.

export type Expr =
  | { t: 'lit'; v: number | string | boolean }
  | { t: 'id'; name: string }
  | { t: 'not'; e: Expr }
  | { t: 'bin'; op: '&&' | '||' | '>' | '>=' | '<' | '<=' | '==' | '!='; l: Expr; r: Expr };

export class ExprError extends Error {
  override readonly name = 'ExprError';
}

const MAX_LEN = 1024;
const MAX_DEPTH = 32;

type Tok = { k: 'num'; v: number } | { k: 'str'; v: string } | { k: 'id'; v: string } | { k: 'op'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(rest);
    // A leading '-' is a sign only where a value is expected (not after a value).
    const prev = out[out.length - 1];
    const valueExpected = !prev || (prev.k === 'op' && prev.v !== ')');
    if (num && (c !== '-' || valueExpected)) {
      out.push({ k: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) {
      out.push({ k: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExprError(`unterminated string at ${i}`);
      out.push({ k: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = /^(>=|<=|==|!=|&&|\|\||[<>!()])/.exec(rest);
    if (!op) throw new ExprError(`unexpected ${JSON.stringify(c)} at ${i}`);
    out.push({ k: 'op', v: op[0] });
    i += op[0].length;
  }
  return out;
}

/** Parses a --when expression; throws ExprError with the reason. */
export function parseExpr(src: string): Expr {
  if (typeof src !== 'string' || !src.trim()) throw new ExprError('empty expression');
  if (src.length > MAX_LEN) throw new ExprError(`expression longer than ${MAX_LEN} characters`);
  const toks = lex(src);
  let p = 0;
  const peek = (v: string) => toks[p]?.k === 'op' && toks[p]!.v === v;
  const word = (v: string) => toks[p]?.k === 'id' && toks[p]!.v === v;
  const guard = (d: number) => {
    if (d > MAX_DEPTH) throw new ExprError(`nested deeper than ${MAX_DEPTH}`);
  };
  const or = (d: number): Expr => {
    guard(d);
    let l = and(d + 1);
    while (peek('||') || word('or')) {
      p++;
      l = { t: 'bin', op: '||', l, r: and(d + 1) };
    }
    return l;
  };
  const and = (d: number): Expr => {
    guard(d);
    let l = not(d + 1);
    while (peek('&&') || word('and')) {
      p++;
      l = { t: 'bin', op: '&&', l, r: not(d + 1) };
    }
    return l;
  };
  const not = (d: number): Expr => {
    guard(d);
    if (peek('!') || word('not')) {
      p++;
      return { t: 'not', e: not(d + 1) };
    }
    const l = value(d + 1);
    const t = toks[p];
    if (t?.k === 'op' && ['>', '>=', '<', '<=', '==', '!='].includes(t.v)) {
      p++;
      return { t: 'bin', op: t.v as '>', l, r: value(d + 1) };
    }
    return l;
  };
  const value = (d: number): Expr => {
    guard(d);
    const t = toks[p++];
    if (!t) throw new ExprError('expression ends early');
    if (t.k === 'num') return { t: 'lit', v: t.v };
    if (t.k === 'str') return { t: 'lit', v: t.v };
    if (t.k === 'id') {
      if (t.v === 'true' || t.v === 'false') return { t: 'lit', v: t.v === 'true' };
      if (['and', 'or', 'not'].includes(t.v)) throw new ExprError(`unexpected ${t.v}`);
      return { t: 'id', name: t.v };
    }
    if (t.v === '(') {
      const e = or(d + 1);
      if (!peek(')')) throw new ExprError('missing )');
      p++;
      return e;
    }
    throw new ExprError(`unexpected ${t.v}`);
  };
  const e = or(0);
  if (p < toks.length) throw new ExprError(`unexpected ${JSON.stringify(String(toks[p]!.v))} after the expression`);
  return e;
}

/** The property names an expression reads. */
export function exprNames(e: Expr, out = new Set<string>()): Set<string> {
  if (e.t === 'id') out.add(e.name);
  else if (e.t === 'not') exprNames(e.e, out);
  else if (e.t === 'bin') {
    exprNames(e.l, out);
    exprNames(e.r, out);
  }
  return out;
}

type Val = number | string | boolean | undefined;

/** Evaluates with the device's current values; a missing value makes its comparisons false. */
export function evalExpr(e: Expr, values: Record<string, number | string | boolean>): boolean {
  return truthy(ev(e, values));
}

const truthy = (v: Val): boolean => v !== undefined && v !== false && v !== 0 && v !== '';

function ev(e: Expr, vals: Record<string, number | string | boolean>): Val {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'id':
      return Object.prototype.hasOwnProperty.call(vals, e.name) ? vals[e.name] : undefined;
    case 'not':
      return !truthy(ev(e.e, vals));
    case 'bin': {
      if (e.op === '&&') return truthy(ev(e.l, vals)) && truthy(ev(e.r, vals));
      if (e.op === '||') return truthy(ev(e.l, vals)) || truthy(ev(e.r, vals));
      const l = ev(e.l, vals);
      const r = ev(e.r, vals);
      if (l === undefined || r === undefined) return false;
      if (e.op === '==') return l === r;
      if (e.op === '!=') return l !== r;
      if (typeof l !== typeof r) return false;
      if (e.op === '>') return l > r;
      if (e.op === '>=') return l >= r;
      if (e.op === '<') return l < r;
      return l <= r;
    }
  }
}

export interface SelectorTerm {
  key: string;
  op: '=' | '!=';
  value: string;
}

/** Parses `model=thermometer,room!=lab`; throws ExprError. */
export function parseSelector(src: string): SelectorTerm[] {
  if (typeof src !== 'string' || !src.trim()) throw new ExprError('empty device selector');
  if (src.length > MAX_LEN) throw new ExprError(`selector longer than ${MAX_LEN} characters`);
  return src.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9_./-]+)\s*(!=|=)\s*([A-Za-z0-9_.:-]*)\s*$/.exec(part);
    if (!m) throw new ExprError(`selector term ${JSON.stringify(part.trim())} is not key=value or key!=value`);
    return { key: m[1]!, op: m[2] as '=' | '!=', value: m[3]! };
  });
}

/** Whether a device matches: keys model, name and node are the device's own; others are labels. */
export function matchSelector(terms: SelectorTerm[], d: { name: string; model: string; node: string; labels: Record<string, string> }): boolean {
  return terms.every((t) => {
    const v = t.key === 'model' ? d.model : t.key === 'name' ? d.name : t.key === 'node' ? d.node : d.labels[t.key];
    return t.op === '=' ? v === t.value : v !== t.value;
  });
}

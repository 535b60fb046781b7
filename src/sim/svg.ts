// Two hand-written SVG charts: a labelled scatter (cold start vs wasted memory per policy) and a
// multi-line time series (demand vs replicas). No charting package; plain strings.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Tick values 0..max at a "nice" step (1, 2, 2.5, 5 x 10^k, or the given steps), at most ~8 of them. */
function ticks(max: number, steps?: number[]): number[] {
  const cands = steps ?? [1, 2, 2.5, 5].flatMap((m) => [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((k) => m * 10 ** k)).sort((a, b) => a - b);
  const step = cands.find((c) => max / c <= 8) ?? max;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(v);
  return out;
}

function axes(w: number, h: number, m: { l: number; r: number; t: number; b: number }, xMax: number, yMax: number, xLabel: string, yLabel: string, xFmt: (v: number) => string, yFmt: (v: number) => string, xSteps?: number[]): string {
  const out: string[] = [];
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  for (const v of ticks(yMax)) {
    const y = m.t + ph - (ph * v) / yMax;
    out.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${esc(yFmt(v))}</text>`);
  }
  for (const v of ticks(xMax, xSteps)) {
    const x = m.l + (pw * v) / xMax;
    out.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle">${esc(xFmt(v))}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${h - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  return out.join('\n');
}

const wrap = (w: number, h: number, title: string, body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">\n<rect width="${w}" height="${h}" fill="white"/>\n<text x="${w / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>\n${body}\n</svg>\n`;

export function scatterSvg(title: string, points: Array<{ label: string; x: number; y: number }>, xLabel: string, yLabel: string): string {
  const w = 640;
  const h = 440;
  const m = { l: 56, r: 20, t: 44, b: 40 };
  const xMax = niceMax(Math.max(...points.map((p) => p.x)) * 1.1);
  // Percentages: the axis ends at 100 when every value fits.
  const yTop = Math.max(...points.map((p) => p.y));
  const yMax = yTop <= 100 ? 100 : niceMax(yTop * 1.1);
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const body = [axes(w, h, m, xMax, yMax, xLabel, yLabel, (v) => v.toFixed(0), (v) => v.toFixed(0))];
  const placed: Array<{ x: number; y: number }> = [];
  points.forEach((p, i) => {
    const x = m.l + (pw * p.x) / xMax;
    const y = m.t + ph - (ph * p.y) / yMax;
    const c = COLORS[i % COLORS.length];
    body.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${c}"/>`);
    // Move a label down while it would overlap one already placed.
    let ly = y - 6;
    while (placed.some((q) => Math.abs(q.x - (x + 8)) < 70 && Math.abs(q.y - ly) < 12)) ly += 13;
    placed.push({ x: x + 8, y: ly });
    body.push(`<text x="${(x + 8).toFixed(1)}" y="${ly.toFixed(1)}" fill="${c}">${esc(p.label)}</text>`);
  });
  return wrap(w, h, title, body.join('\n'));
}

export function linesSvg(title: string, t: number[], series: Array<{ label: string; values: number[]; scale?: number }>, xLabel: string, yLabel: string, xFmt: (v: number) => string, xSteps?: number[]): string {
  const w = 960;
  const h = 420;
  const m = { l: 56, r: 210, t: 30, b: 40 };
  const xMax = Math.max(1, t[t.length - 1] ?? 1);
  const yMax = niceMax(Math.max(1, ...series.flatMap((s) => s.values.map((v) => v * (s.scale ?? 1)))) * 1.05);
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const body = [axes(w, h, m, xMax, yMax, xLabel, yLabel, xFmt, (v) => v.toFixed(0), xSteps)];
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.values.map((v, k) => `${(m.l + (pw * (t[k] ?? 0)) / xMax).toFixed(1)},${(m.t + ph - (ph * v * (s.scale ?? 1)) / yMax).toFixed(1)}`);
    body.push(`<polyline fill="none" stroke="${c}" stroke-width="${i === 0 ? 1.5 : 1}" points="${pts.join(' ')}"/>`);
    body.push(`<rect x="${w - m.r + 10}" y="${m.t + 14 * i}" width="10" height="10" fill="${c}"/><text x="${w - m.r + 24}" y="${m.t + 9 + 14 * i}">${esc(s.label)}</text>`);
  });
  return wrap(w, h, title, body.join('\n'));
}

/**
 * The Pareto view of keep-alive policies: total cold starts against wasted memory, both lower is
 * better. `marked` points (hybrid, the oracle) are drawn as rings with their role in the label, and
 * the quadrant that beats the first marked point on both axes is shaded.
 */
export function paretoSvg(title: string, points: Array<{ label: string; x: number; y: number }>, marked: Record<string, string>, xLabel: string, yLabel: string): string {
  const w = 640;
  const h = 440;
  const m = { l: 64, r: 20, t: 44, b: 40 };
  const xMax = niceMax(Math.max(1, ...points.map((p) => p.x)) * 1.1);
  const yMax = niceMax(Math.max(1, ...points.map((p) => p.y)) * 1.1);
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const px = (v: number) => m.l + (pw * v) / xMax;
  const py = (v: number) => m.t + ph - (ph * v) / yMax;
  const body = [axes(w, h, m, xMax, yMax, xLabel, yLabel, (v) => v.toFixed(0), (v) => v.toFixed(0))];
  const ref = points.find((p) => p.label === Object.keys(marked)[0]);
  if (ref) body.push(`<rect class="dominates" x="${m.l}" y="${py(ref.y).toFixed(1)}" width="${(px(ref.x) - m.l).toFixed(1)}" height="${(m.t + ph - py(ref.y)).toFixed(1)}" fill="#2ca02c" fill-opacity="0.08" stroke="#2ca02c" stroke-dasharray="4 3"/>`);
  const placed: Array<{ x: number; y: number }> = [];
  points.forEach((p, i) => {
    const x = px(p.x);
    const y = py(p.y);
    const c = COLORS[i % COLORS.length];
    const role = marked[p.label];
    body.push(role ? `<circle class="marked" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="7" fill="none" stroke="${c}" stroke-width="2.5"/>` : `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${c}"/>`);
    let ly = y - 8;
    while (placed.some((q) => Math.abs(q.x - (x + 9)) < 90 && Math.abs(q.y - ly) < 12)) ly += 13;
    placed.push({ x: x + 9, y: ly });
    body.push(`<text x="${(x + 9).toFixed(1)}" y="${ly.toFixed(1)}" fill="${c}"${role ? ' font-weight="bold"' : ''}>${esc(role ? `${p.label} (${role})` : p.label)}</text>`);
  });
  return wrap(w, h, title, body.join('\n'));
}

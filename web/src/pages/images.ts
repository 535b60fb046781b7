// Images: local images with sizes, and pull with per-layer progress streamed from the API.
import type { PullProgress, PullStreamLine } from '../../../src/contracts/images.js';
import { ApiError, api, get, stream, type ApiAnswer, type ApiBody } from '../api.js';
import { ago, badge, bytes, card, h, render, table, toast } from '../dom.js';
import { throttle } from '../live.js';
import { load, type Page } from '../page.js';

// The list is the answer the OpenAPI document declares; the pull stream's NDJSON lines are not in
// the document (a streamed answer), so they come from the images contract (type-only).
type Image = ApiAnswer<'/v1/images'>['images'][number];

export const imagesPage: Page = (ctx) => {
  const list = h('div');
  const ref = h('input', { type: 'text', placeholder: '127.0.0.1:5000/team/app:1.2', 'aria-label': 'image reference' });
  const progress = h('div', { class: 'progress' });
  const pullBtn = h('button', { class: 'primary', dataset: { action: 'pull' } }, 'Pull');
  ctx.root.append(
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Pull an image', h('form', { class: 'row', onsubmit: (e: Event) => (e.preventDefault(), void pull()) }, ref, pullBtn), progress))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Local images', list))),
  );
  const pulling = new AbortController();
  ctx.cleanup(() => pulling.abort());

  const pull = async () => {
    const r = ref.value.trim();
    if (!r) return;
    pullBtn.disabled = true;
    const layers = new Map<string, PullProgress>();
    const layerBox = h('div');
    const summary = h('p', { class: 'muted' }, `pulling ${r}…`);
    render(progress, summary, layerBox);
    const draw = throttle(
      () =>
        render(
          layerBox,
          table(
            [...layers.entries()],
            [
              { header: 'Layer', cell: ([l]) => h('span', { class: 'mono small' }, l.replace(/^sha256:/, '').slice(0, 12)) },
              { header: 'Status', cell: ([, p]) => badge(p.status) },
              { header: 'Progress', cell: ([, p]) => (p.total ? h('div', { style: 'min-width:200px' }, h('div', { class: 'meter' }, h('div', { class: 'meter-fill', style: `width:${Math.min(100, (p.current / p.total) * 100)}%` }))) : '-') },
              { header: 'Bytes', cell: ([, p]) => `${bytes(p.current)} / ${bytes(p.total)}`, align: 'right' },
            ],
          ),
        ),
      100,
    );
    try {
      let final: Image | undefined;
      // NDJSON lines: { type: 'progress', progress } ... then { type: 'done', image } or { type: 'error', error }.
      await stream(
        'POST',
        '/v1/images/pull',
        (item) => {
          const l = item as PullStreamLine;
          if (l.type === 'error') throw new ApiError(500, l.error || 'pull failed', l.code);
          if (l.type === 'progress') {
            layers.set(l.progress.layer, l.progress);
            draw();
          } else if (l.type === 'done') final = l.image;
        },
        { body: { ref: r } satisfies ApiBody<'/v1/images/pull', 'post'>, signal: pulling.signal, accept: 'application/x-ndjson' },
      );
      toast(`pulled ${r}${final?.size ? ` (${bytes(final.size)})` : ''}`);
      summary.dataset.pulled = r;
      render(summary, `pulled ${r}: image ${final?.id.slice(7, 19) ?? ''}, ${bytes(final?.size)}`);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') {
        render(progress, h('div', { class: 'notice bad' }, `pull failed: ${(e as Error).message}`));
        toast(`pull failed: ${(e as Error).message}`, 'bad');
      }
    } finally {
      pullBtn.disabled = false;
      void refresh();
    }
  };

  const remove = async (img: Image) => {
    try {
      await api('DELETE', `/v1/images?ref=${encodeURIComponent(img.repoTags[0] ?? img.id)}`);
      toast(`removed ${img.repoTags[0] ?? img.id}`);
    } catch (e) {
      toast((e as Error).message, 'bad');
    }
    void refresh();
  };

  const refresh = () =>
    load(list, 'Images', () => get<ApiAnswer<'/v1/images'>>('/v1/images'), (r) => {
      const imgs = r.images;
      const total = imgs.reduce((s, i) => s + i.size, 0);
      render(
        list,
        table(
          imgs,
          [
            { header: 'Repository:tag', cell: (i) => h('strong', null, i.repoTags.length ? i.repoTags.join(', ') : '<none>') },
            { header: 'Image id', cell: (i) => h('span', { class: 'mono small' }, i.id.replace(/^sha256:/, '').slice(0, 12)) },
            { header: 'Platform', cell: (i) => `${i.platform.os}/${i.platform.architecture}` },
            { header: 'Layers', cell: (i) => i.layers.length, align: 'right' },
            { header: 'Size', cell: (i) => bytes(i.size), align: 'right' },
            { header: 'Created', cell: (i) => ago(i.created) },
            { header: '', cell: (i) => h('button', { class: 'danger', onclick: () => remove(i) }, 'Remove') },
          ],
          { empty: 'No images yet: pull one above or with `llmos pull REF`.' },
        ),
        imgs.length ? h('p', { class: 'muted small' }, `${imgs.length} images, ${bytes(total)} uncompressed`) : null,
      );
    });

  ctx.every(15000, refresh);
  ctx.on('/images', throttle(() => void refresh(), 500));
};

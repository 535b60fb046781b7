// The dashboard shell: login with the API token, a sidebar of pages under hash routes
// (#/functions), a live-connection indicator, and one page mounted at a time.
import './style.css';
import { setUnauthorizedHandler, token } from './api.js';
import { h, render } from './dom.js';
import * as live from './live.js';
import { mountPage, type Page } from './page.js';
import { overviewPage } from './pages/overview.js';
import { containersPage } from './pages/containers.js';
import { functionsPage } from './pages/functions.js';
import { autoscalingPage } from './pages/autoscaling.js';
import { imagesPage } from './pages/images.js';
import { simulatorPage } from './pages/simulator.js';
import { devicesPage } from './pages/devices.js';
import { nodesPage } from './pages/nodes.js';

const pages: { path: string; title: string; page: Page }[] = [
  { path: 'overview', title: 'Overview', page: overviewPage },
  { path: 'containers', title: 'Containers & services', page: containersPage },
  { path: 'functions', title: 'Functions', page: functionsPage },
  { path: 'autoscaling', title: 'Autoscaling', page: autoscalingPage },
  { path: 'images', title: 'Images', page: imagesPage },
  { path: 'devices', title: 'Devices', page: devicesPage },
  { path: 'nodes', title: 'Nodes', page: nodesPage },
  { path: 'simulator', title: 'Simulator', page: simulatorPage },
];

const app = document.getElementById('app')!;
let unmount: (() => void) | null = null;

function showLogin(message?: string): void {
  unmount?.();
  unmount = null;
  live.disconnect();
  const input = h('input', { type: 'password', name: 'token', placeholder: 'API token', autocomplete: 'off', required: true, autofocus: true });
  const error = h('p', { class: 'login-error' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const t = input.value.trim();
        // Checked with a plain fetch: a 401 here is an answer for this form, not a signed-out session.
        const res = await fetch('/v1/status', { headers: { authorization: `Bearer ${t}` } }).catch(() => null);
        if (res?.ok) {
          token.set(t);
          start();
        } else render(error, !res ? 'Cannot reach the LLMOS daemon: is `llmos up` running?' : res.status === 401 ? 'That token was not accepted.' : `The daemon answered HTTP ${res.status}.`);
      },
    },
    h('div', { class: 'brand big' }, h('span', { class: 'logo' }), 'LLMOS'),
    h('p', null, 'Paste the API token to open the dashboard. It is in the ', h('code', null, 'token'), ' file of the data directory (', h('code', null, 'llmos ui'), ' prints where).'),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  render(app, h('div', { class: 'login-wrap' }, form));
}

function start(): void {
  const nav = h(
    'nav',
    null,
    pages.map((p) => h('a', { href: `#/${p.path}`, dataset: { page: p.path } }, p.title)),
  );
  const dot = h('span', { class: 'live-dot', title: 'live updates' });
  const liveLabel = h('span', { class: 'live-label' }, 'connecting');
  const main = h('main', { id: 'page' });
  render(
    app,
    h(
      'div',
      { class: 'shell' },
      h(
        'aside',
        null,
        h(
          'div',
          { class: 'aside-inner' },
          h('div', { class: 'brand' }, h('span', { class: 'logo' }), 'LLMOS'),
          nav,
          h(
            'div',
            { class: 'aside-foot' },
            h('div', { class: 'live' }, dot, liveLabel),
            h('button', { class: 'link', onclick: () => (token.clear(), showLogin()) }, 'Sign out'),
          ),
        ),
      ),
      main,
    ),
  );
  live.onStatus((ok) => {
    dot.classList.toggle('on', ok);
    liveLabel.textContent = ok ? 'live' : 'reconnecting';
  });
  live.connect();
  const route = () => {
    const path = location.hash.replace(/^#\/?/, '') || 'overview';
    const p = pages.find((x) => x.path === path) ?? pages[0]!;
    for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.page === p.path);
    unmount?.();
    const root = h('div', { class: 'page', dataset: { page: p.path } }, h('h1', null, p.title));
    render(main, root);
    document.title = `${p.title} · LLMOS`;
    unmount = mountPage(root, p.page);
  };
  window.onhashchange = route;
  route();
}

setUnauthorizedHandler(() => {
  token.clear();
  showLogin('The API token was not accepted (it may have changed): sign in again.');
});

if (token.get()) start();
else showLogin();

/* global URLPattern, URLSearchParams -- the web platform of the runtime under test */
// From web-platform-tests url/: url-constructor (urltestdata), url-setters, urlsearchparams-*.
import { harness } from './harness.js';

export default {
  async fetch() {
    const { t, eq, ok, throws, result } = harness();
    const cases = [
      ['http://example\t.\norg', 'http://example.org/'],
      ['http://user:pass@foo:21/bar;par?b#c', 'http://user:pass@foo:21/bar;par?b#c'],
      ['https://test:@test', 'https://test@test/'],
      ['http://f:00000000000000/c', 'http://f:0/c'],
      ['http://[1:0::]', 'http://[1::]/'],
      ['http://0x7f.1/', 'http://127.0.0.1/'],
      ['http://example.com/foo/%2e%2', 'http://example.com/foo/%2e%2'],
      ['http://example.com////../..', 'http://example.com//'],
      ['http://ExAmPlE.CoM', 'http://example.com/'],
      ['http://example.com/\u00e9', 'http://example.com/%C3%A9'],
      ['http://\u4f60\u597d.com/', 'http://xn--6qq79v.com/'],
      ['file:///C:/a/../b', 'file:///C:/b'],
      ['non-spec:/.//p', 'non-spec:/.//p'],
    ];
    for (const [input, href] of cases) await t(`url-constructor ${JSON.stringify(input)}`, () => eq(new URL(input).href, href));
    for (const bad of ['http://a b/', 'http://[::1', 'http://300.0.0.1/', '//x', 'http://exa%mple.org']) await t(`url-constructor rejects ${JSON.stringify(bad)}`, () => throws(() => new URL(bad), 'TypeError'));
    await t('url-constructor relative with base', () => eq(new URL('../x?y#z', 'http://h/a/b/c').href, 'http://h/a/x?y#z'));
    await t('url-statics canParse', () => {
      eq(URL.canParse('x', 'http://h/'), true);
      eq(URL.canParse('x'), false);
    });
    await t('url-origin', () => eq(new URL('https://u:p@h.example:8443/p').origin, 'https://h.example:8443'));
    await t('url-setters pathname', () => {
      const u = new URL('http://h/a?q#f');
      u.pathname = '/b c';
      eq(u.href, 'http://h/b%20c?q#f');
    });
    await t('url-setters search and searchParams stay in sync', () => {
      const u = new URL('http://h/?a=1');
      u.searchParams.append('b', '2 3');
      eq(u.search, '?a=1&b=2+3');
      u.search = '?c=4';
      eq(u.searchParams.get('c'), '4');
      eq(u.searchParams.get('a'), null);
    });
    await t('url-setters hash', () => {
      const u = new URL('http://h/');
      u.hash = 'x y';
      eq(u.href, 'http://h/#x%20y');
    });
    await t('url-tojson', () => eq(JSON.stringify({ u: new URL('http://h/') }), '{"u":"http://h/"}'));
    await t('urlsearchparams-constructor string', () => eq(new URLSearchParams('?a=b&c=d').toString(), 'a=b&c=d'));
    await t('urlsearchparams-constructor record and sequence', () => {
      eq(new URLSearchParams({ a: '1', b: '2' }).toString(), 'a=1&b=2');
      eq(new URLSearchParams([['a', '1'], ['a', '2']]).getAll('a').join(), '1,2');
      throws(() => new URLSearchParams([['a']]), 'TypeError');
    });
    await t('urlsearchparams-constructor percent and plus decoding', () => {
      const p = new URLSearchParams('a=b+c&d=%20e&f=%zz&g=%F0%9F%92%A9');
      eq(p.get('a'), 'b c');
      eq(p.get('d'), ' e');
      eq(p.get('f'), '%zz');
      eq(p.get('g'), '\u{1F4A9}');
    });
    await t('urlsearchparams-stringifier', () => eq(new URLSearchParams({ a: 'b c', 'é': '&=*-._~!' }).toString(), 'a=b+c&%C3%A9=%26%3D*-._%7E%21'));
    await t('urlsearchparams-has with value', () => {
      const p = new URLSearchParams('a=1&a=2');
      eq(p.has('a', '2'), true);
      eq(p.has('a', '3'), false);
    });
    await t('urlsearchparams-delete with value', () => {
      const p = new URLSearchParams('a=1&a=2&b=3');
      p.delete('a', '1');
      eq(p.toString(), 'a=2&b=3');
    });
    await t('urlsearchparams-set', () => {
      const p = new URLSearchParams('a=1&b=2&a=3');
      p.set('a', '9');
      eq(p.toString(), 'a=9&b=2');
    });
    await t('urlsearchparams-sort is stable', () => {
      const p = new URLSearchParams('z=5&a=1&z=4&a=0');
      p.sort();
      eq(p.toString(), 'a=1&a=0&z=5&z=4');
    });
    await t('urlsearchparams-size', () => eq(new URLSearchParams('a=1&b=2').size, 2));
    await t('urlsearchparams-foreach and iterators', () => {
      const seen = [];
      new URLSearchParams('a=1&b=2').forEach((v, k) => seen.push(k + v));
      eq(seen.join(), 'a1,b2');
      eq([...new URLSearchParams('x=1').keys()].join(), 'x');
    });
    await t('urlpattern pathname groups', () => {
      const p = new URLPattern({ pathname: '/books/:id' });
      eq(p.test('https://h/books/12'), true);
      eq(p.exec('https://h/books/12').pathname.groups.id, '12');
      eq(p.test('https://h/authors/12'), false);
    });
    await t('urlpattern wildcard and string constructor', () => {
      const p = new URLPattern('https://*.example.com/*');
      ok(p.test('https://a.example.com/x/y'));
    });
    return result();
  },
};

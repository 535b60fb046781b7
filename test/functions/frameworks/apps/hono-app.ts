// A Hono app as a Workers user writes it: etag, basicAuth, jwt, streamText, parseBody (form and
// multipart) and redirects. Bundled by esbuild in the test and served by LLMOS and by workerd.
import { Hono } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { etag } from 'hono/etag';
import { jwt, sign } from 'hono/jwt';
import { streamText } from 'hono/streaming';

const SECRET = 'conformance-secret';
const app = new Hono();

app.use('/etag/*', etag());
app.get('/etag/doc', (c) => c.text('a document with a stable etag'));
app.use('/admin/*', basicAuth({ username: 'ada', password: 'lovelace' }));
app.get('/admin/panel', (c) => c.json({ admin: true }));
app.get('/token', async (c) => c.json({ token: await sign({ sub: 'ada', role: 'admin', exp: 4102444800 }, SECRET) }));
app.use('/api/*', jwt({ secret: SECRET, alg: 'HS256' }));
app.get('/api/me', (c) => c.json(c.get('jwtPayload')));
app.get('/stream', (c) =>
  streamText(c, async (s) => {
    for (let i = 0; i < 3; i++) {
      await s.writeln(`line ${i}`);
      await s.sleep(1);
    }
  }),
);
app.post('/form', async (c) => {
  const body = await c.req.parseBody();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) out[k] = typeof v === 'string' ? v : { name: (v as File).name, type: (v as File).type, text: await (v as File).text() };
  return c.json(out);
});
// Relative: the app runs under /fn/NAME/ on the path gateway (absolute paths need host routing).
app.get('/old', (c) => c.redirect('new', 301));
app.get('/new', (c) => c.text('moved here'));
app.get('/json/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') ?? null }));
app.notFound((c) => c.text('no such page', 404));

export default app;

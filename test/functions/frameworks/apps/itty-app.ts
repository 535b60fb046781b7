// An itty-router 5 app (AutoRouter: JSON by default, 404s, params, query). Bundled by esbuild in
// the test and served by LLMOS and by workerd.
import { AutoRouter, error, text } from 'itty-router';

const router = AutoRouter();

router
  .get('/hello/:name', ({ params, query }) => ({ hello: params.name, shout: query.shout === '1' }))
  .post('/echo', async (req) => ({ got: await req.json() }))
  .get('/text', () => text('plain words'))
  .get('/teapot', () => error(418, 'short and stout'))
  .get('/headers', (req) => ({ ua: req.headers.get('x-client') }));

export default { ...router };

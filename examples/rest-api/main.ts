/**
 * Starts the example REST service: `npm run build && node dist/examples/rest-api/main.js`
 * (PORT, HOST and API_TOKEN from the environment; HTTP/1.1 and HTTP/2 cleartext on one port).
 *
 *   curl localhost:8080/api/users
 *   curl -X POST -H 'authorization: Bearer dev-token' -d '{"name":"Ada","email":"ada@example.com"}' \
 *     localhost:8080/api/users
 *   curl --http2-prior-knowledge localhost:8080/
 */
import { fileURLToPath } from 'node:url';
import { createServer } from 'hayate/server';
import { createApp } from './app.js';

/** The example's static files: examples/rest-api/public (this module runs from dist/examples/rest-api). */
export const PUBLIC_DIR = fileURLToPath(new URL('../../../examples/rest-api/public/', import.meta.url));

const { handler } = createApp({
  token: process.env['API_TOKEN'] ?? 'dev-token',
  publicDir: PUBLIC_DIR,
  log: (line) => {
    console.log(line);
  },
  seed: [{ name: 'Grace Hopper', email: 'grace@example.com' }],
});
const server = createServer(handler, { onError: console.error });
const address = await server.listen(Number(process.env['PORT'] ?? 8080), process.env['HOST'] ?? '127.0.0.1');
console.log(`listening on http://${address.host}:${address.port} (${address.transport})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close());
}

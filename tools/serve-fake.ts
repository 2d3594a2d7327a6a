/**
 * Serves the fake WeChat API until stopped, for runs outside the tests: the self-test
 * workflow, `@github/local-action` with `.env.example`, and `npm run bench`.
 *
 *   node tools/serve-fake.ts [port]     (default 8089; 0 picks a free port)
 *
 * It prints one line, `fake WeChat API at http://127.0.0.1:PORT`, once it listens, and
 * accepts the access token `test-component-access-token`.
 */
import { startFakeWeChat } from './fake-wechat.ts';

const port = Number(process.argv[2] ?? 8089);
const fake = await startFakeWeChat({ port });
console.log(`fake WeChat API at ${fake.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void fake.close().then(() => process.exit(0)));
}

/**
 * Serves the fake WeChat API until stopped, for runs outside the tests: the self-test
 * workflow, `@github/local-action` with `.env.example`, and `npm run bench`.
 *
 *   node tools/serve-fake.ts [port]     (default 8089; 0 picks a free port)
 *
 * It prints one line, `fake WeChat API at http://127.0.0.1:PORT`, once it listens, and
 * accepts the access token `test-component-access-token`; then one line per request,
 * `fake: POST /componenttcb/… → …`, with the token and secrets blanked. A port it cannot
 * use ends it with one line on stderr and exit code 1.
 */
import { startFakeWeChat, type FakeWeChat } from './fake-wechat.ts';

const USAGE = 'node tools/serve-fake.ts';

/** The port to listen on, or the line that says why the argument is not one. */
function portOf(argument: string | undefined): number | string {
  if (argument === undefined) return 8089;
  if (/^\d{1,5}$/.test(argument) && Number(argument) <= 65535) return Number(argument);
  return `fake WeChat API: ${JSON.stringify(argument)} is not a port: give a number from 0 to 65535 (0 picks a free one): ${USAGE} 8089`;
}

async function serve(port: number): Promise<FakeWeChat | string> {
  try {
    return await startFakeWeChat({ port, log: (line) => console.log(`fake: ${line}`) });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'EADDRINUSE') {
      return `fake WeChat API: port ${port} is in use: stop what listens there, or give another port: ${USAGE} ${port < 65535 ? port + 1 : 0}`;
    }
    return `fake WeChat API: cannot listen on 127.0.0.1:${port}: ${message}`;
  }
}

const port = portOf(process.argv[2]);
const fake = typeof port === 'number' ? await serve(port) : port;
if (typeof fake === 'string') {
  console.error(fake);
  process.exitCode = 1;
} else {
  console.log(`fake WeChat API at ${fake.url}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void fake.close().then(() => process.exit(0)));
  }
}

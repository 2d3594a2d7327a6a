import { run } from '../create.ts';

await run();

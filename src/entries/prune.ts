import { run } from '../prune.ts';

await run();

import { run } from '../release.ts';

await run();

import { run } from '../delete.ts';

await run();

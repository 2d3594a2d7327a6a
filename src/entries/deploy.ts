import { run } from '../deploy.ts';

await run();

// Preloaded by `npm run bench` in its memory runs only: writes the process's peak RSS (KiB) on exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));

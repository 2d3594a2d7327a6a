/**
 * For `npm run mutate` only (vitest.mutate.config.ts): the property tests draw the same cases
 * on every run, so that a mutant is judged the same way each time and a survivor can be
 * reproduced. `npm test` keeps drawing new ones.
 */
import * as fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env['MUTATE_SEED'] ?? 20_261_201) });

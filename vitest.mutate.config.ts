/**
 * The tests that judge mutants of src/ (`npm run mutate`, stryker.config.json): those that
 * import src/ and run it in this process, where Stryker's mutants live. Left out: the tests
 * that run the committed bundles in dist/ as child processes (a mutant of src/ is not in
 * them), the ones about the repository, the workflows and the tools, and linear.test.ts (it
 * times src/ in worker threads, where Stryker's instrumentation only adds noise).
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The quickest to load and run first, the property tests last: Stryker stops a mutant's run
 * at its first failing test, and a mutant that runs when a module loads (a constant, a
 * schema) is judged by every file.
 */
const ORDER = [
  'inputs',
  'wechat',
  'redact',
  'log',
  'stories',
  'stories.release',
  'stories.prune',
  'wait',
  'client',
  'proxy',
  'metadata',
  'inputs.property',
];
const rank = (file: string) => {
  const at = ORDER.indexOf(/([^/\\]+)\.test\.ts$/.exec(file)?.[1] ?? '');
  return at < 0 ? ORDER.length : at;
};

class FastFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => rank(a.moduleId) - rank(b.moduleId));
  }
}

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    exclude: [
      '__tests__/**/*.e2e.test.ts',
      '__tests__/workflows.test.ts',
      '__tests__/examples-*.test.ts',
      '__tests__/start.test.ts',
      '__tests__/local-action.test.ts',
      '__tests__/release.test.ts',
      '__tests__/repository.test.ts',
      '__tests__/fake-wechat.test.ts',
      '__tests__/linear.test.ts',
    ],
    // The same properties every run, on fewer cases than `npm test` (each mutant may run them).
    setupFiles: ['__tests__/mutate.setup.ts'],
    env: { PROPERTY_RUNS: process.env['PROPERTY_RUNS'] ?? '10' },
    sequence: { sequencer: FastFirst },
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});

/** The pure parts of services.ts: shares, the newest first, what counts as no traffic (SPEC §1.4, §2). */
import { describe, expect, it } from 'vitest';
import { hasNoTraffic, newestFirst, shareOf } from '../src/services.ts';
import type { VersionItem } from '../src/wechat.ts';

const version = (more: Partial<VersionItem>): VersionItem => ({ version_name: 'v', ...more }) as VersionItem;

describe('shareOf', () => {
  it.each([
    [50, 50],
    ['30', 30],
    [undefined, 0],
    ['', 0],
    ['n/a', 0],
  ])('reads %j as %i %%', (flow, share) => {
    expect(shareOf(version({ flow_ratio: flow }))).toBe(share);
  });
});

describe('hasNoTraffic (keep_versions prunes only these)', () => {
  it.each([
    [0, true],
    ['0', true],
    [' 0 ', true],
    [undefined, false],
    ['', false],
    ['  ', false],
    ['n/a', false],
    [10, false],
  ])('flow_ratio %j: %s', (flow, none) => {
    expect(hasNoTraffic(version({ flow_ratio: flow }))).toBe(none);
  });
});

describe('newestFirst', () => {
  const sorted = (...versions: VersionItem[]) => versions.sort(newestFirst).map((v) => v.version_name);
  it('the later created_time first', () => {
    expect(
      sorted(
        version({ version_name: 'a-001', created_time: '2026-01-01 10:00:00' }),
        version({ version_name: 'a-003', created_time: '2026-01-01 09:00:00' }),
        version({ version_name: 'a-002', created_time: '2026-01-02 08:00:00' }),
      ),
    ).toEqual(['a-002', 'a-001', 'a-003']);
  });

  it('a tie broken by the greater name; no created_time sorts last', () => {
    expect(
      sorted(
        version({ version_name: 'a-001', created_time: '2026-01-01 10:00:00' }),
        version({ version_name: 'a-009' }),
        version({ version_name: 'a-002', created_time: '2026-01-01 10:00:00' }),
        version({ version_name: 'a-003', created_time: '2026-01-01 10:00:00' }),
      ),
    ).toEqual(['a-003', 'a-002', 'a-001', 'a-009']);
    expect(newestFirst(version({ version_name: 'x' }), version({ version_name: 'x' }))).toBe(0);
  });
});

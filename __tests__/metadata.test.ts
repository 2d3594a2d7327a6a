import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_API_BASE_URL, INPUT_NAMES, parseInputs, readRawInputs } from '../src/inputs.ts';
import { ERRCODES } from '../src/wechat.ts';
import { actionDefaults, actionMetadata, ROOT } from '../tools/run-action.ts';

const metadata = actionMetadata();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  type: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

// SPEC.md §2: the public interface. These names must not drift.
const SPEC_INPUTS = [
  'access_token',
  'component_appid',
  'component_appsecret',
  'component_verify_ticket',
  'env_id',
  'service_name',
  'is_public',
  'image_repo',
  'remark',
  'es_info',
  'log_type',
  'vpc_info',
  'public_access',
  'api_base_url',
  'timeout_seconds',
  'max_attempts',
  'dry_run',
];
const SPEC_OUTPUTS = ['errcode', 'errmsg', 'rid', 'env_id', 'service_name', 'created'];

describe('action.yml', () => {
  it('declares exactly the inputs and outputs of SPEC §2, each with a description', () => {
    expect(Object.keys(metadata.inputs)).toEqual(SPEC_INPUTS);
    expect(Object.keys(metadata.outputs)).toEqual(SPEC_OUTPUTS);
    for (const entry of [...Object.values(metadata.inputs), ...Object.values(metadata.outputs)]) {
      expect(entry.description.length).toBeGreaterThan(10);
    }
    expect([...INPUT_NAMES]).toEqual(SPEC_INPUTS);
  });

  it('marks the required inputs and runs the bundle on node24 with branding', () => {
    const required = Object.entries(metadata.inputs).filter(([, input]) => input.required === true);
    expect(required.map(([name]) => name)).toEqual(['env_id', 'service_name', 'is_public']);
    expect(metadata.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(metadata.branding).toEqual({ icon: 'cloud', color: 'green' });
  });

  it('has the same defaults as the code, so a run outside a runner behaves the same', () => {
    expect(actionDefaults()).toEqual({
      api_base_url: DEFAULT_API_BASE_URL,
      timeout_seconds: '30',
      max_attempts: '3',
      dry_run: 'false',
    });
    const required = { access_token: 't', env_id: 'e', service_name: 's', is_public: 'true' };
    const withDefaults = { ...actionDefaults(), ...required };
    const fromYaml = parseInputs(readRawInputs((name) => withDefaults[name as keyof typeof withDefaults] ?? ''));
    const fromCode = parseInputs(readRawInputs((name) => required[name as keyof typeof required] ?? ''));
    expect(fromYaml).toEqual(fromCode);
  });
});

describe('package.json', () => {
  it('is ESM and pins every dependency exactly', () => {
    expect(packageJson.type).toBe('module');
    for (const version of [...Object.values(packageJson.dependencies), ...Object.values(packageJson.devDependencies)]) {
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});

describe('README', () => {
  it('gives the two quick-start commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });

  it('documents every input and output in a table row', () => {
    for (const name of [...SPEC_INPUTS, ...SPEC_OUTPUTS]) expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });

  it('lists every mapped errcode with its remedy', () => {
    for (const code of Object.keys(ERRCODES)) expect(readme).toMatch(new RegExp(`^\\| \`${code}\` \\|`, 'm'));
  });

  it('explains the IP whitelist for GitHub-hosted runners', () => {
    expect(readme).toMatch(/61004/);
    expect(readme).toMatch(/self-hosted runner/);
  });
});

describe('dist/index.js', () => {
  const bundle = readFileSync(join(ROOT, 'dist', 'index.js'), 'utf8');

  it('stays under the 700 kB budget (npm run bench measures its start)', () => {
    expect(Buffer.byteLength(bundle)).toBeLessThan(700_000);
  });

  it('carries the undici stand-in, not undici (tsconfig.json "paths")', () => {
    expect(bundle).toContain('undici is not bundled with create-cloudbase-service');
    expect(bundle).not.toContain('class DispatcherBase');
  });
});

describe('housekeeping', () => {
  const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

  it('is MIT licensed, in LICENSE and package.json alike', () => {
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
    expect(JSON.parse(read('package.json'))).toMatchObject({ license: 'MIT' });
  });

  it('SECURITY.md names every secret the action masks and how to report a vulnerability', () => {
    const security = read('SECURITY.md');
    for (const name of ['access_token', 'component_appsecret', 'component_verify_ticket', 'component_access_token', 'es_info', 'HTTPS_PROXY']) {
      expect(security).toContain(`\`${name}\``);
    }
    expect(security).toContain('Report a vulnerability');
  });

  it('CHANGELOG.md follows Keep a Changelog', () => {
    expect(read('CHANGELOG.md')).toMatch(/^# Changelog\n[\s\S]*\n## \[Unreleased\]\n/);
  });
});

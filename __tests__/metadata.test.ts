import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CREATE_INPUTS,
  DEFAULT_API_BASE_URL,
  DELETE_INPUTS,
  DEPLOY_INPUTS,
  PRUNE_INPUTS,
  RELEASE_INPUTS,
  readRawInputs,
  type ActionInputs,
} from '../src/inputs.ts';
import { ERRCODES } from '../src/wechat.ts';
import { ACTIONS, actionDefaults, actionMetadata, bundleOf, ROOT, type ActionName } from '../tools/run-action.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  type: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

// SPEC.md §2: the public interface of each action. These names must not drift.
const COMMON_LEADING = ['access_token', 'component_appid', 'component_appsecret', 'component_verify_ticket', 'env_id', 'service_name'];
const COMMON_TRAILING = ['api_base_url', 'timeout_seconds', 'max_attempts', 'dry_run'];
const COMMON_OUTPUTS = ['errcode', 'errmsg', 'rid', 'env_id', 'service_name'];
const SPEC: Record<
  ActionName,
  { inputs: string[]; outputs: string[]; required: string[]; defaults: Record<string, string>; code: ActionInputs<unknown> }
> = {
  create: {
    inputs: [
      ...COMMON_LEADING,
      'is_public',
      'image_repo',
      'remark',
      'es_info',
      'log_type',
      'vpc_info',
      'public_access',
      'if_exists',
      ...COMMON_TRAILING,
    ],
    outputs: [...COMMON_OUTPUTS, 'created', 'existed'],
    required: ['env_id', 'service_name', 'is_public'],
    defaults: { if_exists: 'skip' },
    code: CREATE_INPUTS,
  },
  delete: {
    inputs: [...COMMON_LEADING, 'if_missing', ...COMMON_TRAILING],
    outputs: [...COMMON_OUTPUTS, 'deleted', 'existed'],
    required: ['env_id', 'service_name'],
    defaults: { if_missing: 'skip' },
    code: DELETE_INPUTS,
  },
  deploy: {
    inputs: [
      ...COMMON_LEADING,
      'image_url',
      'container_port',
      'cpu',
      'mem',
      'min_num',
      'max_num',
      'policy_type',
      'policy_threshold',
      'flow_ratio',
      'env_params',
      'version_remark',
      'image_secret_info',
      'wait',
      'wait_timeout_seconds',
      'keep_versions',
      ...COMMON_TRAILING,
    ],
    outputs: [...COMMON_OUTPUTS, 'version_name', 'status', 'run_id', 'pruned'],
    required: ['env_id', 'service_name', 'image_url'],
    defaults: {
      container_port: '80',
      cpu: '0.25',
      mem: '0.5',
      min_num: '0',
      max_num: '5',
      policy_type: 'cpu',
      policy_threshold: '60',
      flow_ratio: '100',
      wait: 'true',
      wait_timeout_seconds: '900',
      keep_versions: '0',
    },
    code: DEPLOY_INPUTS,
  },
  release: {
    inputs: [...COMMON_LEADING, 'version', 'flow_ratio', 'wait', 'wait_timeout_seconds', ...COMMON_TRAILING],
    outputs: [...COMMON_OUTPUTS, 'version_name', 'previous_version', 'flow_ratio', 'changed', 'release_order_id'],
    required: ['env_id', 'service_name'],
    defaults: { version: 'latest', flow_ratio: '100', wait: 'true', wait_timeout_seconds: '300' },
    code: RELEASE_INPUTS,
  },
  prune: {
    // SPEC §2: prune works on a whole environment: no service_name, in or out.
    inputs: [...COMMON_LEADING.filter((name) => name !== 'service_name'), 'prefix', 'keep', 'max_deletes', ...COMMON_TRAILING],
    outputs: [...COMMON_OUTPUTS.filter((name) => name !== 'service_name'), 'deleted', 'kept', 'failed'],
    required: ['env_id', 'prefix'],
    defaults: { max_deletes: '10' },
    code: PRUNE_INPUTS,
  },
};
const SPEC_INPUTS = [...new Set(ACTIONS.flatMap((action) => SPEC[action].inputs))];
const SPEC_OUTPUTS = [...new Set(ACTIONS.flatMap((action) => SPEC[action].outputs))];

describe.each(ACTIONS)('%s/action.yml', (action) => {
  const metadata = actionMetadata(action);
  const spec = SPEC[action];

  it('declares exactly the inputs and outputs of SPEC §2, each with a description', () => {
    expect(Object.keys(metadata.inputs)).toEqual(spec.inputs);
    expect(Object.keys(metadata.outputs)).toEqual(spec.outputs);
    for (const entry of [...Object.values(metadata.inputs), ...Object.values(metadata.outputs)]) {
      expect(entry.description.length).toBeGreaterThan(10);
    }
    expect([...spec.code.names]).toEqual(spec.inputs);
  });

  it('marks the required inputs and runs its own bundle on node24 with branding', () => {
    const required = Object.entries(metadata.inputs).filter(([, input]) => input.required === true);
    expect(required.map(([name]) => name)).toEqual(spec.required);
    expect(metadata.runs).toEqual({ using: 'node24', main: action === 'create' ? 'dist/create/index.js' : `../dist/${action}/index.js` });
    expect(bundleOf(action)).toBe(join(ROOT, 'dist', action, 'index.js'));
    expect(metadata.branding.color).toBe('green');
  });

  it('has the same defaults as the code, so a run outside a runner behaves the same', () => {
    expect(actionDefaults(action)).toEqual({
      ...spec.defaults,
      api_base_url: DEFAULT_API_BASE_URL,
      timeout_seconds: '30',
      max_attempts: '3',
      dry_run: 'false',
    });
    const required = { access_token: 't', env_id: 'e', service_name: 's', is_public: 'true', image_url: 'i' };
    const withDefaults: Record<string, string> = { ...actionDefaults(action), ...required };
    const fromYaml = spec.code.parse(readRawInputs(spec.code.names, (name) => withDefaults[name] ?? ''));
    const fromCode = spec.code.parse(readRawInputs(spec.code.names, (name) => required[name as keyof typeof required] ?? ''));
    expect(fromYaml.ok).toBe(true);
    expect(fromYaml).toEqual(fromCode);
  });

  it('describes the inputs every action shares in the same words', () => {
    const create = actionMetadata('create');
    for (const name of [...COMMON_LEADING, ...COMMON_TRAILING].filter((n) => !['service_name', 'dry_run'].includes(n))) {
      expect(metadata.inputs[name]).toEqual(create.inputs[name]);
    }
    for (const name of COMMON_OUTPUTS.filter((n) => n !== 'service_name')) expect(metadata.outputs[name]).toEqual(create.outputs[name]);
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

  const section = (heading: string) => readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';

  it.each([
    ['create', 'The create action'],
    ['deploy', 'The deploy action'],
    ['delete', 'The delete action'],
  ] as const)('has a section for the %s action with its own inputs and outputs in table rows', (action, heading) => {
    const text = section(heading);
    expect(text).toContain(
      action === 'create' ? '`uses: our-org/create-cloudbase-service@v1`' : `\`uses: our-org/create-cloudbase-service/${action}@v1\``,
    );
    const own = (names: string[], common: string[]) => (action === 'create' ? names : names.filter((name) => !common.includes(name)));
    for (const name of own(SPEC[action].inputs, [...COMMON_LEADING, ...COMMON_TRAILING]))
      expect(text).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
    for (const name of own(SPEC[action].outputs, COMMON_OUTPUTS)) expect(text).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
  });

  it('says where the actions run, and what a pull-request workflow on a self-hosted runner risks', () => {
    const text = section('Before you start');
    for (const fact of [
      'node24',
      '2.327.1',
      '61004',
      'self-hosted runner',
      'fixed egress IP',
      'fork',
      'require approval',
      'private repositories',
      "Dependabot's pull requests get no secrets",
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('explains tokens as platforms hold them (SPEC §1.6)', () => {
    const text = section('Tokens in practice');
    for (const fact of ['2 hours', 'every 10 minutes', 'about 5 minutes later', 'token service', '::add-mask::', 'component_verify_ticket'])
      expect(text).toContain(fact);
  });

  it('says what the development machine needs, and where Node 24 comes from', () => {
    expect(readme).toContain('Node ≥ 20 with npm ≥ 10 (`engines` in package.json)');
    expect(readme).toContain('the `node` dev dependency installs');
  });

  it('documents debug logging', () => {
    expect(section('Debug logging')).toContain('ACTIONS_STEP_DEBUG');
  });

  it('explains the IP whitelist for GitHub-hosted runners', () => {
    expect(readme).toMatch(/61004/);
    expect(readme).toMatch(/self-hosted runner/);
  });
});

describe.each(ACTIONS)('dist/%s/index.js', (action) => {
  const bundle = readFileSync(bundleOf(action), 'utf8');

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
    for (const name of [
      'access_token',
      'component_appsecret',
      'component_verify_ticket',
      'component_access_token',
      'es_info',
      'HTTPS_PROXY',
    ]) {
      expect(security).toContain(`\`${name}\``);
    }
    expect(security).toContain('Report a vulnerability');
  });

  it('CHANGELOG.md follows Keep a Changelog', () => {
    expect(read('CHANGELOG.md')).toMatch(/^# Changelog\n[\s\S]*\n## \[Unreleased\]\n/);
  });
});

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
/** The text of one `## ` section of the README, without its heading. */
const section = (heading: string) => readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';

/** The rows of a section's input tables (`| input | required | default | meaning |`) and output tables (`| output | value |`), as cells, names unquoted. */
function tablesIn(text: string): { inputs: string[][]; outputs: string[][] } {
  const found: { inputs: string[][]; outputs: string[][] } = { inputs: [], outputs: [] };
  let into: string[][] | undefined;
  for (const line of text.split('\n')) {
    const cells = line.startsWith('|')
      ? line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim())
      : undefined;
    if (cells === undefined) into = undefined;
    else if (cells.join('|') === 'input|required|default|meaning') into = found.inputs;
    else if (cells.join('|') === 'output|value') into = found.outputs;
    else if (into !== undefined && !/^-+$/.test(cells[0] ?? '')) into.push([(cells[0] ?? '').replace(/^`(.*)`$/, '$1'), ...cells.slice(1)]);
  }
  return found;
}
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
    const required = { access_token: 't', env_id: 'e', service_name: 's', is_public: 'true', image_url: 'i', prefix: 'pr-' };
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
  it('gives the two quick-start commands, where it says how to try the actions locally', () => {
    expect(section('Trying it locally')).toContain('npm ci && npm start');
    expect(section('Trying it locally')).toContain('npm ci && npm test');
    expect(section('Trying it locally')).toContain('[CONTRIBUTING.md](CONTRIBUTING.md)');
  });

  it('documents every input and output in a table row', () => {
    for (const name of [...SPEC_INPUTS, ...SPEC_OUTPUTS]) expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });

  it('lists every mapped errcode with its remedy', () => {
    for (const code of Object.keys(ERRCODES)) expect(readme).toMatch(new RegExp(`^\\| \`${code}\` \\|`, 'm'));
  });

  it.each(ACTIONS)('has a section for the %s action that says how to use it', (action) => {
    const uses = action === 'create' ? 'our-org/create-cloudbase-service@v1' : `our-org/create-cloudbase-service/${action}@v1`;
    expect(section(`The ${action} action`)).toContain(`\`uses: ${uses}\``);
  });

  // The shared inputs and outputs are in one section, each action's own in its section; together
  // they are exactly its action.yml: every input with its required flag and its default, every output.
  it.each(ACTIONS)('its tables are the %s action.yml, input by input and output by output', (action) => {
    const metadata = actionMetadata(action);
    const shared = tablesIn(section('Inputs and outputs of every action'));
    const own = tablesIn(section(`The ${action} action`));
    // service_name is every action's but prune's: the shared table says so.
    const notPrune = (row: string[]) => action !== 'prune' || row[0] !== 'service_name';
    const inputs = [...shared.inputs.filter(notPrune), ...own.inputs];
    const outputs = [...shared.outputs.filter(notPrune), ...own.outputs].map(([name]) => name);
    const byName = (a: string[], b: string[]) => String(a[0]).localeCompare(String(b[0]));
    expect(inputs.map((row) => row.slice(0, 3)).sort(byName)).toEqual(
      Object.entries(metadata.inputs)
        .map(([name, input]) => [name, input.required === true ? 'yes' : 'no', input.default === undefined ? '' : `\`${input.default}\``])
        .sort(byName),
    );
    expect(outputs.sort()).toEqual(Object.keys(metadata.outputs).sort());
    expect(shared.inputs.length + shared.outputs.length).toBeGreaterThan(10);
  });

  it('says that our-org is a placeholder, and pins @v1 without naming a release that does not exist', () => {
    const top = readme.slice(0, readme.indexOf('\n## '));
    expect(top).toContain('`our-org` is a placeholder');
    expect(top).toContain('No release exists yet');
    expect(readme).not.toMatch(/# v\d+\.\d+\.\d+|@v\d+\.\d+/);
  });

  it('says what a runner needs, and what to set up first', () => {
    const text = section('Before you start');
    for (const fact of [
      'node24',
      '2.327.1',
      'token service',
      'IP whitelist',
      'component-token.sh',
      "Dependabot's pull requests get no secrets",
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('explains tokens as platforms hold them, and the shared token step', () => {
    const text = section('Tokens');
    for (const fact of [
      '2 hours',
      'every 10 minutes',
      'about 5 minutes later',
      'token service',
      '::add-mask::',
      'component_verify_ticket',
      'examples/component-token.sh',
      'set -euo pipefail',
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('says where the actions run: the IP whitelist, a self-hosted runner or a proxy', () => {
    const text = section('Running behind a fixed IP');
    for (const fact of [
      '61004',
      'GitHub-hosted runners change IP',
      'self-hosted runner',
      'fixed egress IP',
      'HTTPS_PROXY',
      'NODE_EXTRA_CA_CERTS',
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('says what a team can do about forks, and that the example gives them no preview', () => {
    const text = section('Pull requests from forks');
    for (const fact of ['require approval', 'pull_request_target', 'private repositories', 'forks get no preview'])
      expect(text).toContain(fact);
  });

  it('says how a mini program reaches a preview, and that WeChat gives no domain', () => {
    const text = section('Reaching a preview');
    for (const fact of ['wx.cloud.callContainer', 'X-WX-SERVICE', "no call that returns a service's domain", 'CloudBase console']) {
      expect(text).toContain(fact);
    }
  });

  it("says how a canary and a rollback work with WeChat's calls, and what they cannot do", () => {
    const text = section('A release: canary, promote, rollback');
    for (const fact of [
      'releasecloudbaserunversion',
      'setcspropotion',
      'exactly two',
      'version: previous',
      'header',
      'URL parameter',
      'Tencent Cloud',
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('troubleshoots the failures that are not errcodes: the quota, failed versions, deadlines, cancellation', () => {
    const text = section('Troubleshooting');
    for (const fact of [
      'LimitExceeded',
      'prune action',
      'build_fail',
      'deploy_fail',
      'wait_timeout_seconds',
      'cancelled',
      'api_base_url',
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('documents debug logging', () => {
    expect(section('Debug logging')).toContain('ACTIONS_STEP_DEBUG');
  });
});

describe('the Marketplace listing', () => {
  // The Marketplace lists the top-level action.yml only: it must speak of the suite.
  const metadata = actionMetadata('create');

  it('names the suite, and says that this action is create, under the 125 characters the Marketplace shows', () => {
    expect(metadata.name).not.toMatch(/^create/i);
    expect(metadata.name).toMatch(/CloudBase Run/);
    for (const action of ACTIONS) expect(metadata.description).toContain(action);
    expect(metadata.description).toContain('create (this one)');
    expect(metadata.description.length).toBeLessThan(125);
  });

  it('package.json describes the suite the same way', () => {
    const description = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { description: string }).description;
    for (const action of ACTIONS) expect(description).toContain(action);
    expect(description).toContain('CloudBase Run');
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

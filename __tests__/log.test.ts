import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLog, inert } from '../src/log.ts';
import { parseCommands } from '../tools/run-action.ts';

describe('inert', () => {
  it('leaves ordinary text alone', () => {
    expect(inert('POST https://api.weixin.qq.com/x (attempt 1 of 3): "a::b" #1 [ok]')).toBe(
      'POST https://api.weixin.qq.com/x (attempt 1 of 3): "a::b" #1 [ok]',
    );
  });

  it.each([
    ['a value cannot start a line of its own', 'service "x\n::add-mask::y"', 'service "x\\n::add-mask::y"'],
    ['nor with a carriage return', 'x\r::warning::y', 'x\\r::warning::y'],
    ['nor with a next-line character', 'x\u0085::warning::y', 'x\\u0085::warning::y'],
    ['other controls are shown as escapes', 'a\u0000b\u001bc\u2028d', 'a\\u0000b\\u001bc\\u2028d'],
    ['a leading :: is broken', '::stop-commands::abc', ':\u200b:stop-commands::abc'],
    ['also after white space', '  \t::error::x', '  \t:\u200b:error::x'],
    ['##[ is broken anywhere', 'x ##[set-output name=a;]b ##[error]c', 'x ##\u200b[set-output name=a;]b ##\u200b[error]c'],
  ])('%s', (_, line, expected) => {
    expect(inert(line)).toBe(expected);
    expect(parseCommands(inert(line))).toEqual([]);
  });

  it('is needed: the same lines unescaped are commands', () => {
    expect(parseCommands('service "x\n::add-mask::y"').map((c) => c.command)).toEqual(['add-mask']);
    expect(parseCommands('x ##[error]c').map((c) => c.command)).toEqual(['error']);
    expect(parseCommands('  ::error::x').map((c) => c.command)).toEqual(['error']);
  });
});

describe('createLog', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  const capture = () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    return written;
  };

  it('masks, then redacts every line, then makes it inert', () => {
    const written = capture();
    const log = createLog();
    log.hide(['s3cr\net']);
    log.info('token s3cr\net and s3cr%0Aet\n::error::x');
    log.fail('failed with s3cr\net ##[error]');
    expect(written.join('')).toBe(
      '::add-mask::s3cr%0Aet\n' +
        // Each line long enough to mean something is masked on its own too, as the runner masks line by line.
        '::add-mask::s3cr\n' +
        'token *** and ***\\n::error::x\n' +
        '::error::failed with *** ##\u200b[error]\n',
    );
    expect(process.exitCode).toBe(1);
  });

  it('registers a secret once, however often it is hidden', () => {
    const written = capture();
    const log = createLog();
    log.hide(['repeated-secret']);
    log.hide(['repeated-secret', 'another-secret']);
    expect(written).toEqual(['::add-mask::repeated-secret\n', '::add-mask::another-secret\n']);
  });

  it('masks a secret in every form from the moment it is hidden, and those hidden before it still', () => {
    capture();
    const log = createLog();
    const json = (text: string) => JSON.stringify(text).slice(1, -1);
    const quotedTwice = (text: string) => json(json(text));
    log.hide(['first"secret']);
    expect(log.clean(`a ${quotedTwice('first"secret')} b second\\secret`)).toBe('a *** b second\\secret');
    log.hide(['second\\secret']);
    expect(log.clean(`a ${quotedTwice('first"secret')} b ${encodeURIComponent(quotedTwice('second\\secret'))}`)).toBe('a *** b ***');
  });

  it('cleans text for outputs without escaping it', () => {
    capture();
    const log = createLog();
    log.hide(['pw']);
    expect(log.clean('a\npw')).toBe('a\n***');
  });
});

import { describe, expect, test } from 'vitest';
import { ConfigError, resolveConfig } from './config-resolve.js';
import { ProjectInput } from './project.js';
import { ProjectSandbox, networkAllowed } from './sandbox.js';

describe('the sandbox settings', () => {
  test('MAESTRO_SANDBOX is optional by default, takes required and off, and says what a wrong value should be', () => {
    expect(resolveConfig({ env: {} }).config.sandbox).toBe('optional');
    expect(resolveConfig({ env: { MAESTRO_SANDBOX: 'required' } }).config.sandbox).toBe('required');
    expect(
      resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: { sandbox: 'off' } } }).config.sandbox,
    ).toBe('off');
    let problems: string[] = [];
    try {
      resolveConfig({ env: { MAESTRO_SANDBOX: 'yes' } });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems.join('\n')).toMatch(/sandbox is one of required, optional, off \(got "yes"\)/);
  });

  test('a project gets no network unless it asks; install gives it to the install command only', () => {
    const project = ProjectInput.parse({ name: 'shop', repository: '/src/shop', testCommand: 'npm test' });
    expect(project.sandbox).toEqual({ network: 'none' });
    expect(networkAllowed(project.sandbox, 'install')).toBe(false);
    const install = ProjectSandbox.parse({ network: 'install' });
    expect([networkAllowed(install, 'install'), networkAllowed(install, 'test')]).toEqual([true, false]);
    const all = ProjectSandbox.parse({ network: 'all' });
    expect([networkAllowed(all, 'install'), networkAllowed(all, 'test')]).toEqual([true, true]);
    const wrong = ProjectSandbox.safeParse({ network: 'some' });
    expect(wrong.error?.issues[0]?.message).toMatch(/sandbox.network is one of none, install, all \(got "some"\)/);
    expect(ProjectSandbox.safeParse({ network: 'all', extra: 1 }).success).toBe(false);
  });
});

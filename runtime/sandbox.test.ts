import { describe, expect, test } from 'vitest';
import { probeSandbox, sandboxSupport } from './sandbox.js';

describe('sandboxSupport', () => {
  test('bubblewrap on PATH that can make its namespaces: commands are sandboxed', () => {
    const probe = probeSandbox();
    expect(probe, probe.problem).toMatchObject({ bwrap: expect.stringMatching(/bwrap$/) });
    expect(sandboxSupport('required', probe)).toMatchObject({ commands: 'bwrap', bwrap: probe.bwrap });
  });

  test('without bubblewrap: optional runs commands unsandboxed and says so, required refuses them', () => {
    const probe = probeSandbox({ PATH: '/nonexistent' });
    expect(probe).toEqual({ problem: "bubblewrap (bwrap) is not installed: install Debian's bubblewrap package" });
    expect(sandboxSupport('optional', probe)).toMatchObject({
      commands: 'none',
      summary: expect.stringMatching(/^project commands run UNSANDBOXED, with this user's full rights: bubblewrap/),
    });
    expect(sandboxSupport('required', probe)).toMatchObject({
      commands: 'refused',
      summary: expect.stringMatching(/MAESTRO_SANDBOX=required \(set it to optional to run them unsandboxed\)$/),
    });
    expect(sandboxSupport('off', probe)).toMatchObject({ commands: 'none', summary: expect.stringMatching(/off$/) });
  });
});

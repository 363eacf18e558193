import { describe, expect, test } from 'vitest';
import { SecretScrubber, redactUrl } from './redact.js';

describe('SecretScrubber', () => {
  test('hides the values of secret environment variables wherever they appear', () => {
    const scrubber = SecretScrubber.fromEnv({ OPENAI_API_KEY: 'my-local-key-123456', HOME: '/root' });
    expect(scrubber.scrub('{"msg":"calling with my-local-key-123456","home":"/root"}')).toBe(
      '{"msg":"calling with [redacted]","home":"/root"}',
    );
  });

  test('hides the password of a database URL, also when it appears on its own', () => {
    const scrubber = SecretScrubber.fromEnv({ DATABASE_URL: 'postgresql://maestro:s3cr%2Fet-pass@db:5432/maestro' });
    expect(scrubber.scrub('connecting to postgresql://maestro:s3cr%2Fet-pass@db:5432/maestro')).not.toContain('s3cr');
    expect(scrubber.scrub('password was s3cr/et-pass')).toBe('password was [redacted]');
  });

  test('hides well-known key shapes even when nobody declared them', () => {
    const scrubber = new SecretScrubber();
    expect(scrubber.scrub('key sk-proj-abcdefghijklmnopqrstuv and sk-ant-0123456789abcdefghij')).toBe(
      'key [redacted] and [redacted]',
    );
    expect(scrubber.scrub('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer [redacted]');
  });

  test('learns secrets found at run time', () => {
    const scrubber = new SecretScrubber().with(['postgresql://maestro:runtime-password@127.0.0.1:55432/maestro']);
    expect(scrubber.scrub('{"err":"auth failed for runtime-password"}')).toBe('{"err":"auth failed for [redacted]"}');
  });
});

describe('redactUrl', () => {
  test('keeps everything but the password', () => {
    expect(redactUrl('postgresql://maestro:hunter22@127.0.0.1:55432/maestro')).toBe(
      'postgresql://maestro:[redacted]@127.0.0.1:55432/maestro',
    );
    expect(redactUrl('http://127.0.0.1:4800/trpc')).toBe('http://127.0.0.1:4800/trpc');
    expect(redactUrl('https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git')).toBe(
      'https://[redacted]@github.com/o/r.git',
    );
    expect(redactUrl('ssh://git@github.com/o/r.git')).toBe('ssh://git@github.com/o/r.git');
  });

  test('hides a token or password in a URL whatever its length', () => {
    expect(redactUrl('https://abc123@127.0.0.1:8080/r.git')).toBe('https://[redacted]@127.0.0.1:8080/r.git');
    expect(redactUrl('https://user:t0k3n!@127.0.0.1:8080/r.git')).toBe('https://user:[redacted]@127.0.0.1:8080/r.git');
    expect(redactUrl('https://x:y@host/r.git')).toBe('https://x:[redacted]@host/r.git');
    expect(redactUrl('git+ssh://git@host/r.git and ssh+git://git@host/r.git')).toBe(
      'git+ssh://git@host/r.git and ssh+git://git@host/r.git',
    );
    expect(new SecretScrubber().scrub('fatal: unable to access https://tok6ch@host/r.git/')).toBe(
      'fatal: unable to access https://[redacted]@host/r.git/',
    );
  });
});

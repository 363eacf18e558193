import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { LogSink } from './log-sink.js';

describe('LogSink', () => {
  test('scrubs secrets from every line before it reaches the log file', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-sink-')), 'maestro.log');
    const sink = await LogSink.open(file, { ANTHROPIC_API_KEY: 'sk-ant-test-key-1234567890' }, false);
    sink.addSecret('postgresql://maestro:embedded-password-42@127.0.0.1:55432/maestro');
    sink.writeChildLine('worker:tester', '{"level":30,"msg":"calling with sk-ant-test-key-1234567890"}', 'stdout');
    sink.writeChildLine('api', 'connection refused for embedded-password-42', 'stderr');
    sink.logger('stack', 'info').info({ password: 'hunter22', url: 'postgresql://a:b-secret@db/x' }, 'connecting');

    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const text = JSON.stringify(lines);
    expect(text).not.toContain('sk-ant-test-key');
    expect(text).not.toContain('embedded-password-42');
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain('b-secret');
    expect(lines[1]).toMatchObject({ component: 'api', level: 40, msg: 'connection refused for [redacted]' });
  });
});

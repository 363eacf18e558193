import { describe, expect, test } from 'vitest';
import { hostOf, isLoopbackHost, localAdminAllowed } from './loopback.js';

describe('loopback', () => {
  test('tells addresses only this machine reaches from the others', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      'LOCALHOST',
      'app.localhost',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '192.168.1.5',
      '10.0.0.1',
      'example.com',
      'localhost.example.com',
      '128.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  test('reads the host of a Host header or an origin', () => {
    expect(hostOf('127.0.0.1:4800')).toBe('127.0.0.1');
    expect(hostOf('http://localhost:5173')).toBe('localhost');
    expect(hostOf('[::1]:4800')).toBe('[::1]');
    expect(hostOf('evil.example:80')).toBe('evil.example');
  });

  test('the local admin exists only on a loopback bind without MAESTRO_AUTH=required', () => {
    expect(localAdminAllowed({ host: '127.0.0.1', auth: 'auto' })).toBe(true);
    expect(localAdminAllowed({ host: '127.0.0.1', auth: 'required' })).toBe(false);
    expect(localAdminAllowed({ host: '0.0.0.0', auth: 'auto' })).toBe(false);
  });
});

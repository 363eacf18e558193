import { describe, expect, test } from 'vitest';
import {
  PROXY_HEADERS,
  fromThisMachine,
  hostAccepted,
  hostOf,
  isLoopbackAddress,
  isLoopbackHost,
  localAdminAllowed,
  notFromThisMachine,
} from './loopback.js';

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

  test('tells socket peers on this machine from the others', () => {
    for (const address of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3'])
      expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of [undefined, '', 'localhost', '10.0.0.1', '::ffff:10.0.0.1', '::', '128.0.0.1', 'fe80::1'])
      expect(isLoopbackAddress(address), String(address)).toBe(false);
  });

  describe('the local admin: the peer × proxy headers × Host × Origin', () => {
    const local = { host: '127.0.0.1:4800' };
    const rows: Array<[string, string | undefined, Record<string, string>, boolean]> = [
      // [what, socket peer, headers, acts as the local admin]
      ['a plain request on this machine', '127.0.0.1', local, true],
      ['over IPv6 loopback, Host [::1]', '::1', { host: '[::1]:4800' }, true],
      ['an IPv4-mapped peer, Host localhost', '::ffff:127.0.0.1', { host: 'localhost:4800' }, true],
      ['the console itself (same-origin)', '127.0.0.1', { ...local, origin: 'http://127.0.0.1:4800' }, true],
      ['the Vite dev server', '127.0.0.1', { ...local, origin: 'http://localhost:5173' }, true],
      ['same-origin fetch metadata', '127.0.0.1', { ...local, 'sec-fetch-site': 'same-origin' }, true],
      ['another machine, even with a loopback Host', '192.168.1.7', local, false],
      ['no peer address (a closed socket)', undefined, local, false],
      ['an IPv4-mapped foreign peer', '::ffff:10.0.0.8', local, false],
      ...PROXY_HEADERS.map((name): [string, string, Record<string, string>, boolean] => [
        `nginx on this machine adding ${name}`,
        '127.0.0.1',
        { ...local, [name]: name === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' },
        false,
      ]),
      ['a proxy header naming this machine', '127.0.0.1', { ...local, 'x-forwarded-for': '127.0.0.1' }, false],
      ['a rebound name as Host', '127.0.0.1', { host: 'evil.example:4800' }, false],
      ['a look-alike name', '127.0.0.1', { host: 'localhost.evil.example' }, false],
      ['no Host at all', '127.0.0.1', {}, false],
      ['a page of another site', '127.0.0.1', { ...local, origin: 'https://evil.example' }, false],
      ['Origin: null (sandboxed frame, file:)', '127.0.0.1', { ...local, origin: 'null' }, false],
      [
        'Origin: null with same-origin fetch metadata',
        '127.0.0.1',
        { ...local, origin: 'null', 'sec-fetch-site': 'same-origin' },
        false,
      ],
      ['a cross-site navigation without Origin', '127.0.0.1', { ...local, 'sec-fetch-site': 'cross-site' }, false],
      ['an unreadable Origin', '127.0.0.1', { ...local, origin: 'http://[bad' }, false],
    ];
    test.each(rows)('%s', (_what, remoteAddress, headers, expected) => {
      const request = { remoteAddress, headers };
      expect(fromThisMachine(request)).toBe(expected);
      if (!expected) expect(notFromThisMachine(request)).toMatch(/\w/);
    });

    test('the refusal says what gave the request away', () => {
      expect(notFromThisMachine({ remoteAddress: '10.0.0.1', headers: local })).toBe('it comes from another machine');
      expect(notFromThisMachine({ remoteAddress: '127.0.0.1', headers: { ...local, 'x-real-ip': '1.2.3.4' } })).toBe(
        'it came through a proxy (x-real-ip)',
      );
    });
  });

  test('on a loopback bind only loopback Host names are served; other binds take any', () => {
    for (const bind of ['127.0.0.1', 'localhost', '::1']) {
      for (const host of ['127.0.0.1:4800', 'localhost:4800', 'app.localhost', '[::1]:4800', '127.0.0.1'])
        expect(hostAccepted(bind, host), `${bind} ${host}`).toBe(true);
      for (const host of [
        undefined,
        '',
        'evil.example',
        'evil.example:4800',
        '192.168.1.5:4800',
        'localhost.evil.example',
      ])
        expect(hostAccepted(bind, host), `${bind} ${String(host)}`).toBe(false);
    }
    expect(hostAccepted('0.0.0.0', 'maestro.example.com')).toBe(true);
    expect(hostAccepted('192.168.1.5', undefined)).toBe(true);
  });
});

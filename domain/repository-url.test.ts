import { describe, expect, test } from 'vitest';
import { splitRepositoryUrl } from './repository-url.js';

describe('splitRepositoryUrl', () => {
  test('takes the user name and password out of an http(s) URL', () => {
    expect(splitRepositoryUrl('https://ann:s3cr%2Ft@127.0.0.1:8080/shop.git')).toEqual({
      url: 'https://127.0.0.1:8080/shop.git',
      credentials: { host: '127.0.0.1:8080', username: 'ann', password: 's3cr/t' },
    });
  });

  test('a token given as the user name alone stays the user name, with no password', () => {
    expect(splitRepositoryUrl('https://abc123@github.com/o/r.git')).toEqual({
      url: 'https://github.com/o/r.git',
      credentials: { host: 'github.com', username: 'abc123', password: '' },
    });
  });

  test('keeps URLs without credentials, and those of other schemes, as they are', () => {
    for (const url of ['https://github.com/o/r.git', 'file:///tmp/r', 'ssh://git@github.com/o/r.git', 'git@host:o/r'])
      expect(splitRepositoryUrl(url)).toEqual({ url });
  });
});

/**
 * A repository URL's credentials, split out so that git never sees them in a URL (which it writes
 * to `.git/config` and shows in `ps`): the URL without them is what Maestro clones, stores and shows.
 */

export interface RepositoryCredentials {
  /** The host (with its port) the credentials are for: git gets them for this host only. */
  host: string;
  username: string;
  /** Empty for a token given as the user name alone (`https://ghp_…@github.com`). */
  password: string;
}

export interface SplitRepositoryUrl {
  /** The URL without user name or password. */
  url: string;
  credentials?: RepositoryCredentials;
}

/** Only http(s) URLs carry credentials git can be given another way; others are kept as they are. */
export function splitRepositoryUrl(repository: string): SplitRepositoryUrl {
  if (!/^https?:\/\//i.test(repository)) return { url: repository };
  let parsed: URL;
  try {
    parsed = new URL(repository);
  } catch {
    return { url: repository };
  }
  if (!parsed.username && !parsed.password) return { url: repository };
  const credentials = {
    host: parsed.host,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), credentials };
}

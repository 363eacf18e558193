/**
 * Secrets must never reach logs, the database, the console or git. These helpers scrub text that
 * is about to leave the process; structured logs also use pino's key-based redaction.
 */

const MASK = '[redacted]';

const SECRET_PATTERNS: RegExp[] = [
  /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+(?=@)/gi, // password in a URL's user-info
  // The whole user-info when it has no password: a token (https://ghp_…@github.com, https://abc123@host), at any
  // length. Not for ssh, whose user is a login name (ssh://git@github.com), its key never in a URL.
  /(?<=(?<![a-z0-9+.-])(?!(?:git\+)?ssh(?:\+git)?:)[a-z][a-z0-9+.-]*:\/\/)[^\s:/@]+(?=@)/gi,
  /(?<=\bBearer\s+)[A-Za-z0-9._~+/-]{8,}=*/g,
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, // OpenAI, Anthropic, DeepSeek style keys
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API keys
];

/** Names of environment variables whose values are (or may be) secrets. */
export const SECRET_ENV_NAME =
  /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|DATABASE_URL|_DSN)/i;

export class SecretScrubber {
  private readonly literals: string[];

  constructor(secretValues: Iterable<string | undefined> = []) {
    this.literals = [...secretValues].filter((value): value is string => !!value && value.length >= 6);
    this.literals.sort((a, b) => b.length - a.length);
  }

  static fromEnv(env: Record<string, string | undefined>): SecretScrubber {
    return new SecretScrubber().with(
      Object.entries(env)
        .filter(([name]) => SECRET_ENV_NAME.test(name))
        .map(([, value]) => value),
    );
  }

  /** A scrubber that also hides these values (and the password of any URL among them). */
  with(secretValues: Iterable<string | undefined>): SecretScrubber {
    const values = [...secretValues].flatMap((value) => (value ? [value, ...urlPasswordOf(value)] : []));
    return new SecretScrubber([...this.literals, ...values]);
  }

  scrub(text: string): string {
    let result = text;
    for (const literal of this.literals) result = result.split(literal).join(MASK);
    for (const pattern of SECRET_PATTERNS) result = result.replace(pattern, MASK);
    return result;
  }
}

export function redactUrl(url: string): string {
  return url.replace(SECRET_PATTERNS[0]!, MASK).replace(SECRET_PATTERNS[1]!, MASK);
}

function urlPasswordOf(value: string): string[] {
  try {
    const password = new URL(value).password;
    return password ? [decodeURIComponent(password), password] : [];
  } catch {
    return [];
  }
}

/** Key paths pino censors in structured log records. */
export const REDACTED_LOG_KEYS = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'token',
  '*.token',
  'passwordHash',
  '*.passwordHash',
  'databaseUrl',
  '*.databaseUrl',
  'connectionString',
  '*.connectionString',
];

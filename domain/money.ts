/**
 * Money, exact: amounts are whole picodollars (10^-12 USD) in bigints, so a cost is tokens × price
 * with no rounding for prices of up to six decimals, and a sum of a million calls is still exact.
 * The database keeps the same amounts as decimals with twelve places.
 */

const PICOS_PER_USD = 10n ** 12n;
const SCALE = 12;

/** Dollars as written (`"12.5"`, `0.15`) to picodollars; more than twelve decimals are cut. */
export function parseUsd(value: string | number): bigint {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = /^(-)?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === ''))
    throw new Error(`not an amount of dollars: ${JSON.stringify(value)}`);
  const whole = BigInt(match[2] || '0');
  const fraction = BigInt(((match[3] ?? '') + '0'.repeat(SCALE)).slice(0, SCALE));
  const picos = whole * PICOS_PER_USD + fraction;
  return match[1] ? -picos : picos;
}

/** Picodollars as a decimal string with twelve places, as the database stores them. */
export function formatUsdExact(picos: bigint): string {
  const negative = picos < 0n;
  const absolute = negative ? -picos : picos;
  const whole = absolute / PICOS_PER_USD;
  const fraction = (absolute % PICOS_PER_USD).toString().padStart(SCALE, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** For people: `$12.35`, `$0.08`, `$0.0042` (four decimals under a dollar, trailing zeros dropped to two). */
export function formatUsd(picos: bigint): string {
  const negative = picos < 0n;
  const absolute = negative ? -picos : picos;
  const digits = absolute >= PICOS_PER_USD ? 2 : 4;
  const unit = 10n ** BigInt(SCALE - digits);
  const rounded = (absolute + unit / 2n) / unit;
  const whole = rounded / 10n ** BigInt(digits);
  const fraction = (rounded % 10n ** BigInt(digits))
    .toString()
    .padStart(digits, '0')
    .replace(/0{1,2}$/, (zeros) => (digits === 4 ? '' : zeros));
  const shown = fraction.length < 2 ? fraction.padEnd(2, '0') : fraction;
  return `${negative ? '-' : ''}$${whole}.${shown}`;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens the provider read from its cache (part of inputTokens). */
  cachedInputTokens?: number;
}

export interface TokenPrices {
  inputPerMillion: number;
  outputPerMillion: number;
  cachedInputPerMillion?: number;
}

/** What a call costs: fresh input, cached input and output tokens, each at its price per million. */
export function callCost(usage: TokenUsage, prices: TokenPrices): bigint {
  const cached = BigInt(Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens));
  const fresh = BigInt(usage.inputTokens) - cached;
  const perMillion = (price: number) => parseUsd(price);
  const total =
    fresh * perMillion(prices.inputPerMillion) +
    cached * perMillion(prices.cachedInputPerMillion ?? prices.inputPerMillion) +
    BigInt(usage.outputTokens) * perMillion(prices.outputPerMillion);
  return total / 1_000_000n;
}

/** `1e-7` would not parse as a plain decimal: write every number out in full. */
function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not an amount of dollars: ${value}`);
  return value.toFixed(SCALE).replace(/\.?0+$/, '') || '0';
}

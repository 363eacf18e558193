import { type Payload, defaultPayloadConverter } from '@temporalio/common';
import type proto from '@temporalio/proto';

/** Values read out of Temporal's history events, and put in one line for the timeline. */

/** A protobuf timestamp or duration in ms, whether its seconds are a Long, a number or a string. */
export function timestampMs(
  value: { seconds?: unknown; nanos?: number | null } | null | undefined,
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(String(value.seconds ?? 0));
  return seconds * 1000 + Math.round((value.nanos ?? 0) / 1e6);
}

export function decode(payload: proto.temporal.api.common.v1.IPayload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload as Payload);
  } catch {
    return undefined;
  }
}

export function failureText(failure: proto.temporal.api.failure.v1.IFailure | null | undefined): string | undefined {
  if (!failure) return undefined;
  const cause = failure.cause?.message;
  return firstLine(
    cause && cause !== failure.message ? `${failure.message ?? ''}: ${cause}` : (failure.message ?? 'failed'),
  );
}

export function firstLine(text: string): string {
  const line = text.split('\n')[0]!;
  return line.length > 300 ? `${line.slice(0, 297)}…` : line;
}

export function describeMs(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}

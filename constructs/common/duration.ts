import { Duration, Token } from 'aws-cdk-lib';
import { ValidationError } from './validation-error';

/**
 * Durations written as text, in the grammars of the systems that read them.
 */

const GO_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const GO_DURATION = /^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Seconds of a Go `time.ParseDuration` string (`1h30m`, `90s`), or `undefined` when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!GO_DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const match of text.matchAll(GO_PART)) seconds += Number(match[1]) * GO_UNITS[match[2]];
  return text.startsWith('-') ? -seconds : seconds;
}

/** Karpenter's duration pattern (NodePool `expireAfter`, `consolidateAfter`, v1.14.1 CRDs). */
const KARPENTER_DURATION = /^(([0-9]+(s|m|h))+|Never)$/;

/**
 * Parses a Karpenter duration as the NodePool CRD accepts it: whole hours, minutes and seconds
 * (`720h`, `1h30m`, `30s`), or `Never`. Days (`30d`), fractions (`1.5h`), spaces and other
 * casings of `Never` are refused with the prop and a valid example.
 *
 * @returns the duration, or `undefined` for `Never`
 */
export function parseKarpenterDuration(prop: string, text: string): Duration | undefined {
  if (Token.isUnresolved(text)) {
    throw new ValidationError(prop, 'is a deploy-time value; Karpenter durations must be known at synth time (e.g. "720h").');
  }
  if (!KARPENTER_DURATION.test(text)) {
    const days = /^(\d+)d$/.exec(text.trim());
    const hint = days ? ` Karpenter has no day unit: write "${Number(days[1]) * 24}h".`
      : /^never$/i.test(text.trim()) ? ' Write "Never" with a capital N.' : '';
    throw new ValidationError(prop, `"${text}" is not a Karpenter duration; use whole hours, minutes and seconds such as "720h", "1h30m" or "30s", or "Never".${hint}`);
  }
  if (text === 'Never') return undefined;
  return Duration.seconds(parseGoDuration(text)!);
}

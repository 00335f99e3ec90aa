import { Token } from 'aws-cdk-lib';
import { ValidationError } from './validation-error';

/**
 * Zone names without a '/' in the tz database. ICU also accepts abbreviations such as `PST`
 * that the tz database (and so Kubernetes) does not have; only these are let through.
 */
const SINGLE_SEGMENT_ZONES = new Set([
  'UTC', 'UCT', 'GMT', 'GMT0', 'GMT+0', 'GMT-0', 'Greenwich', 'Universal', 'Zulu',
  'CET', 'EET', 'MET', 'WET', 'EST', 'MST', 'HST', 'EST5EDT', 'CST6CDT', 'MST7MDT', 'PST8PDT',
  'Cuba', 'Egypt', 'Eire', 'GB', 'GB-Eire', 'Hongkong', 'Iceland', 'Iran', 'Israel', 'Jamaica', 'Japan',
  'Kwajalein', 'Libya', 'Navajo', 'NZ', 'NZ-CHAT', 'Poland', 'Portugal', 'PRC', 'ROC', 'ROK', 'Singapore',
  'Turkey', 'W-SU',
]);

/**
 * Fails unless `value` is an IANA time zone name as a Kubernetes CronJob's `timeZone` takes it
 * (Go's `time.LoadLocation`, which reads the tz database by exact, case-sensitive name).
 *
 * Node's ICU knows the same database, aliases included (`US/Eastern`), but matches names
 * without regard to case; so a name must also be written as the database writes it (every
 * segment starts with a capital: `Europe/Berlin`, `UTC`, `Etc/GMT+5`). `Local` (the API
 * server's own zone) is refused: it differs between clusters.
 */
export function validateTimeZone(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  let canonical: string | undefined;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    canonical = undefined;
  }
  if (canonical === undefined || value.trim() !== value || value === ''
    || (!value.includes('/') && !SINGLE_SEGMENT_ZONES.has(value) && canonical.toLowerCase() !== value.toLowerCase())) {
    throw new ValidationError(prop, `"${value}" is not an IANA time zone name; use a name of the tz database such as 'Europe/Berlin', 'America/New_York' or 'UTC' (not a city alone such as 'Berlin', an abbreviation such as 'PST' or an offset such as '+01:00').`);
  }
  const casedAsDatabase = value.split('/').every((segment) => /^[A-Z]/.test(segment));
  if (!casedAsDatabase || (canonical.toLowerCase() === value.toLowerCase() && canonical !== value)) {
    throw new ValidationError(prop, `"${value}" is not written as the tz database writes it; Kubernetes looks zones up by exact name: use '${canonical}'.`);
  }
}

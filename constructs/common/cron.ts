import { Token } from 'aws-cdk-lib';
import { parseGoDuration } from './duration';
import { ValidationError } from './validation-error';

/**
 * Cron expressions, checked with the rules of the parser that will read them:
 *
 * - Kubernetes CronJobs and Karpenter disruption budgets both parse with robfig/cron v3's
 *   `ParseStandard`: five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or
 *   JAN-DEC, day of week 0-6 or SUN-SAT, names case-insensitive, three letters), each a list of
 *   `*`, `?`, `n`, `a-b`, with an optional `/step`; or a macro (`@daily`, ...). The API server
 *   refuses `TZ=` / `CRON_TZ=` in a CronJob schedule (the zone goes in `timeZone`); Karpenter
 *   prepends `TZ=UTC` itself and its CRD pattern allows no `@every`.
 * - EventBridge and Image Builder take AWS's six-field `cron(minutes hours day-of-month month
 *   day-of-week year)`, day of week 1-7 (SUN = 1), exactly one of the two day fields `?`.
 *
 * Hand-written because no maintained npm package implements robfig's grammar exactly (the
 * popular JavaScript cron parsers accept day-of-week 7, seconds fields or full day names).
 */

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Offset of the first name: JAN is 1, SUN is 0 (robfig) or 1 (AWS). */
  readonly namesFrom?: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const STANDARD_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAYS, namesFrom: 0 },
];
const STANDARD_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Which system reads a five-field schedule. */
export enum CronDialect {
  /** A Kubernetes CronJob `schedule` (zone in `timeZone`; `@every <duration>` allowed). */
  KUBERNETES_CRONJOB = 'Kubernetes CronJob',
  /** A Karpenter disruption budget `schedule` (always UTC; no `@every`). */
  KARPENTER_BUDGET = 'Karpenter disruption budget',
}

/**
 * Fails unless `value` is a schedule the given system accepts; returns it trimmed.
 *
 * @param example  a valid schedule for the message
 */
export function validateStandardCron(prop: string, value: string, dialect: CronDialect, example: string): string {
  if (Token.isUnresolved(value)) return value;
  const schedule = value.trim();
  const fail = (why: string): never => {
    throw new ValidationError(prop, `"${value}" is not a valid ${dialect} schedule: ${why}. Use five fields (minute hour day-of-month month day-of-week), e.g. '${example}'.`);
  };
  if (/^(CRON_)?TZ=/i.test(schedule) || /\bTZ=/.test(schedule)) {
    fail(dialect === CronDialect.KUBERNETES_CRONJOB
      ? 'it sets a time zone, which Kubernetes refuses in the expression; give the zone in timeZone instead'
      : 'it sets a time zone; Karpenter reads budget schedules in UTC only, so write the times in UTC');
  }
  if (schedule.startsWith('@')) {
    if (STANDARD_MACROS.includes(schedule)) return schedule;
    if (schedule.startsWith('@every ') && dialect === CronDialect.KUBERNETES_CRONJOB) {
      const duration = parseGoDuration(schedule.slice('@every '.length).trim());
      if (duration !== undefined && duration > 0) return schedule;
      fail('@every takes a positive Go duration such as "1h30m"');
    }
    fail(`unknown macro; the macros are ${STANDARD_MACROS.join(', ')}`);
  }
  const fields = schedule.split(/\s+/);
  if (fields.length !== 5) {
    fail(`it has ${fields.length} field${fields.length === 1 ? '' : 's'}${fields.length === 6 ? ' (a seconds or year field is not supported)' : ''}`);
  }
  fields.forEach((field, i) => {
    const error = checkField(field, STANDARD_FIELDS[i], true);
    if (error !== undefined) fail(error);
  });
  return schedule;
}

const AWS_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 1, max: 7, names: DAYS, namesFrom: 1 },
  { name: 'year', min: 1970, max: 2199 },
];

/**
 * Fails unless `expression` is an AWS cron expression `cron(m h dom mon dow year)` as
 * EventBridge and Image Builder take it.
 */
export function validateAwsCron(prop: string, expression: string, example: string): void {
  if (Token.isUnresolved(expression)) return;
  const fail = (why: string): never => {
    throw new ValidationError(prop, `"${expression}" is not an AWS cron expression: ${why}. Use cron(minutes hours day-of-month month day-of-week year) with '?' in one day field, e.g. ${example}.`);
  };
  const match = /^cron\((.*)\)$/.exec(expression.trim());
  if (!match) fail('it does not have the form cron(...)');
  const fields = match![1].trim().split(/\s+/);
  if (fields.length !== 6) fail(`it has ${fields.length} fields, AWS cron has six (the last one is the year)`);
  const [, , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?')) fail("exactly one of day-of-month and day-of-week must be '?'");
  fields.forEach((field, i) => {
    if (field === '?' && (i === 2 || i === 4)) return;
    // AWS extras: L (last), W (weekday) in day of month, L and # (nth weekday) in day of week.
    if (i === 2 && /^(L|LW|\d{1,2}W)$/.test(field)) return;
    if (i === 4 && /^([1-7]|[A-Za-z]{3})(L|#[1-5])$/.test(field)) return;
    const error = checkField(field, AWS_FIELDS[i], false);
    if (error !== undefined) fail(error);
  });
}

/** `undefined` when `field` is valid, else why not. */
function checkField(field: string, spec: CronField, questionMarkAnywhere: boolean): string | undefined {
  for (const part of field.split(',')) {
    if (part === '') return `the ${spec.name} field "${field}" has an empty list entry`;
    const [range, step, ...rest] = part.split('/');
    if (rest.length > 0) return `the ${spec.name} field "${part}" has more than one '/'`;
    if (step !== undefined && !/^\d+$/.test(step)) return `the step "/${step}" in the ${spec.name} field is not a whole number`;
    if (step !== undefined && Number(step) < 1) return `the step "/${step}" in the ${spec.name} field must be at least 1`;
    if (range === '*' || (range === '?' && questionMarkAnywhere)) continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `the ${spec.name} field "${part}" is not a value or a range a-b`;
    const numbers: number[] = [];
    for (const bound of bounds) {
      const n = fieldValue(bound, spec);
      if (typeof n === 'string') return n;
      numbers.push(n);
    }
    if (numbers.length === 2 && numbers[0] > numbers[1]) {
      return `the ${spec.name} range "${range}" starts after it ends`;
    }
  }
  return undefined;
}

function fieldValue(text: string, spec: CronField): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) {
      const hint = spec.name === 'day of week' && spec.min === 0 && n === 7 ? ' (Sunday is 0 here, not 7)' : '';
      return `${spec.name} ${n} is out of range ${spec.min}-${spec.max}${hint}`;
    }
    return n;
  }
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index >= 0) return index + (spec.namesFrom ?? 0);
  const names = spec.names ? ` or the three-letter names ${spec.names.map((n) => n.toUpperCase()).join(', ')}` : '';
  return `"${text}" is not a ${spec.name} value (${spec.min}-${spec.max}${names})`;
}

/**
 * The longest time in days between two runs of a valid five-field schedule or macro, rounded
 * up to whole days where a day-of-week list decides it; an upper bound for day-of-month and
 * month lists (31 and 366 days). Used to compare a restart schedule with a rotation period.
 */
export function maxCronIntervalDays(schedule: string): number {
  const macro: Record<string, number> = { '@hourly': 1 / 24, '@daily': 1, '@midnight': 1, '@weekly': 7, '@monthly': 31, '@yearly': 366, '@annually': 366 };
  const text = schedule.trim();
  if (text in macro) return macro[text];
  if (text.startsWith('@every ')) return (parseGoDuration(text.slice(7).trim()) ?? 0) / 86400;
  const [, , dom, month, dow] = text.split(/\s+/);
  const all = (field: string) => field === '*' || field === '?';
  if (!all(month)) return 366;
  if (!all(dom)) return 31;
  if (all(dow)) return 1;
  const days = [...expandField(dow, STANDARD_FIELDS[4])].sort((a, b) => a - b);
  if (days.length === 0) return 7;
  return Math.max(...days.map((d, i) => (i + 1 < days.length ? days[i + 1] - d : days[0] + 7 - d)));
}

/** The values a valid field selects. */
function expandField(field: string, spec: CronField): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let [from, to] = [spec.min, spec.max];
    if (range !== '*' && range !== '?') {
      const bounds = range.split('-').map((b) => fieldValue(b, spec) as number);
      from = bounds[0];
      to = bounds.length > 1 ? bounds[1] : (stepText === undefined ? bounds[0] : spec.max);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

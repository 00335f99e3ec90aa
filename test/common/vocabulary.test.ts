import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { App, Stack } from 'aws-cdk-lib';
import { parseArn, validateEc2Id } from '../../constructs/common/aws-ids';
import { validateIpv4Cidr } from '../../constructs/common/cidr';
import { CronDialect, maxCronIntervalDays, validateAwsCron, validateStandardCron } from '../../constructs/common/cron';
import { parseGoDuration, parseKarpenterDuration } from '../../constructs/common/duration';
import { parseQuantity, validateCpuQuantity, validateMemoryQuantity } from '../../constructs/common/quantity';
import { validateTimeZone } from '../../constructs/common/time-zone';
import { claimUnique } from '../../constructs/common/uniqueness';
import { checkProps, isString, validateKubernetesVersion } from '../../constructs/common/validate';
import { reportsConstructPath, ValidationError } from '../../constructs/common/validation-error';

/**
 * The shared rules of constructs/common, each with inputs it must accept (a rule that refuses
 * valid input breaks users as surely as one that lets bad input through) and inputs it must
 * refuse. The bad-input table (test/bad-input.test.ts) checks them through the constructs.
 */

describe('cron: robfig/cron ParseStandard rules (Kubernetes CronJob, Karpenter budgets)', () => {
  test.each([
    '0 7 * * 1-5', '*/15 9-17 * * mon-fri', '0 0 1 jan *', '30 2 * * SUN', '0 0 * * 0,6', '5/10 * * * *',
    '0 9 ? * *', '@daily', '@hourly', '@weekly', '0 0 1-7 * *',
  ])('accepts %s for both parsers', (schedule) => {
    expect(validateStandardCron('p', schedule, CronDialect.KUBERNETES_CRONJOB, '0 7 * * 1-5')).toBe(schedule);
    expect(validateStandardCron('p', schedule, CronDialect.KARPENTER_BUDGET, '0 7 * * 1-5')).toBe(schedule);
  });

  test('@every is a CronJob schedule, not a Karpenter budget schedule', () => {
    expect(validateStandardCron('p', '@every 1h30m', CronDialect.KUBERNETES_CRONJOB, 'x')).toBe('@every 1h30m');
    expect(() => validateStandardCron('p', '@every 1h30m', CronDialect.KARPENTER_BUDGET, 'x')).toThrow(/unknown macro/);
  });

  test.each([
    ['0 24 * * *', /hour 24 is out of range 0-23/],
    ['60 0 * * *', /minute 60 is out of range 0-59/],
    ['0 0 0 * *', /day of month 0 is out of range 1-31/],
    ['0 0 * 13 *', /month 13 is out of range 1-12/],
    ['0 0 * * 7', /Sunday is 0 here, not 7/],
    ['0 0 * * Monday', /"Monday" is not a day of week value/],
    ['0 0 * * mon-', /"" is not a day of week value/],
    ['0 0 * *', /it has 4 fields/],
    ['0 0 * * * *', /a seconds or year field is not supported/],
    ['0 0,,1 * * *', /empty list entry/],
    ['*/x * * * *', /is not a whole number/],
    ['0 5-2 * * *', /starts after it ends/],
    ['@every 5', /positive Go duration/],
    ['CRON_TZ=UTC 0 0 * * *', /timeZone/],
  ])('refuses %s', (schedule, error) => {
    expect(() => validateStandardCron('Thing.schedule', schedule, CronDialect.KUBERNETES_CRONJOB, '0 7 * * 1-5')).toThrow(error);
  });

  test('the longest gap between runs', () => {
    expect(maxCronIntervalDays('0 4 * * 0')).toBe(7);
    expect(maxCronIntervalDays('0 4 * * mon-fri')).toBe(3);
    expect(maxCronIntervalDays('0 4 * * *')).toBe(1);
    expect(maxCronIntervalDays('0 4 1 * *')).toBe(31);
    expect(maxCronIntervalDays('@weekly')).toBe(7);
  });
});

describe('AWS cron (EventBridge, Image Builder)', () => {
  test.each(['cron(0 3 ? * SUN *)', 'cron(0 12 L * ? *)', 'cron(0 10 ? * 6#3 *)', 'cron(15 10 ? * MON-FRI 2027)', 'cron(0/30 * 1W * ? *)'])('accepts %s', (expression) => {
    expect(() => validateAwsCron('p', expression, 'x')).not.toThrow();
  });
  test.each([
    ['cron(0 3 * * SUN)', /six/],
    ['cron(0 3 * * SUN *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 3 ? * 0 *)', /day of week 0 is out of range 1-7/],
    ['cron(0 3 ? * SUN 1969)', /year 1969 is out of range 1970-2199/],
    ['rate(1 day)', /the form cron\(\.\.\.\)/],
  ])('refuses %s', (expression, error) => {
    expect(() => validateAwsCron('p', expression, 'x')).toThrow(error);
  });
});

describe('time zones: exact tz database names', () => {
  test.each(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'US/Eastern', 'Asia/Kolkata', 'EST5EDT'])('accepts %s', (zone) => {
    expect(() => validateTimeZone('p', zone)).not.toThrow();
  });
  test.each(['utc', 'europe/berlin', 'PST', 'Berlin', '+01:00', 'Local', ' UTC', ''])('refuses %j', (zone) => {
    expect(() => validateTimeZone('p', zone)).toThrow(ValidationError);
  });
});

describe('durations', () => {
  test('Go durations', () => {
    expect(parseGoDuration('1h30m')).toBe(5400);
    expect(parseGoDuration('1.5h')).toBe(5400);
    expect(parseGoDuration('300ms')).toBeCloseTo(0.3);
    expect(parseGoDuration('30d')).toBeUndefined();
    expect(parseGoDuration('h')).toBeUndefined();
  });
  test('Karpenter durations follow the CRD pattern', () => {
    expect(parseKarpenterDuration('p', '720h')?.toHours()).toBe(720);
    expect(parseKarpenterDuration('p', '1h30m')?.toMinutes()).toBe(90);
    expect(parseKarpenterDuration('p', 'Never')).toBeUndefined();
    for (const text of ['30d', '1.5h', 'never', '720 h', '-1h', '']) {
      expect(() => parseKarpenterDuration('p', text)).toThrow(ValidationError);
    }
    expect(Duration.hours(1).toSeconds()).toBe(3600);
  });
});

describe('quantities: one grammar for CPU and memory', () => {
  test('values', () => {
    expect(parseQuantity('500m')).toBeCloseTo(0.5);
    expect(parseQuantity('8Gi')).toBe(8 * 2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('1 Gi')).toBeUndefined();
  });
  test.each(['1', '0.5', '500m', '2', '1.5'])('CPU %s is accepted', (q) => expect(() => validateCpuQuantity('p', q, '1')).not.toThrow());
  test.each(['0', '-1', 'one', '1 vCPU', '0.0001'])('CPU %s is refused', (q) => expect(() => validateCpuQuantity('p', q, '1')).toThrow(ValidationError));
  test.each(['8Gi', '4096Mi', '1G', '1.5Gi', '2e9'])('memory %s is accepted', (q) => expect(() => validateMemoryQuantity('p', q, '8Gi')).not.toThrow());
  test.each(['512m', '8GB', '8gi', '1024', '0Gi', 'lots'])('memory %s is refused', (q) => expect(() => validateMemoryQuantity('p', q, '8Gi')).toThrow(ValidationError));
});

describe('CIDR blocks, AWS ids and ARNs', () => {
  test('CIDR blocks in network form only', () => {
    expect(() => validateIpv4Cidr('p', '10.0.0.0/24')).not.toThrow();
    expect(() => validateIpv4Cidr('p', '0.0.0.0/0')).not.toThrow();
    expect(() => validateIpv4Cidr('p', '10.0.0.7/24')).toThrow(/host bits set; use the network address "10.0.0.0\/24"/);
    expect(() => validateIpv4Cidr('p', '10.0.0.256/32')).toThrow(/not an IPv4 CIDR block/);
  });
  test('EC2 ids of 8 or 17 hex digits', () => {
    expect(() => validateEc2Id('p', 'sg-12345678', 'sg')).not.toThrow();
    expect(() => validateEc2Id('p', 'sg-0123456789abcdef0', 'sg')).not.toThrow();
    expect(() => validateEc2Id('p', 'sg-123', 'sg')).toThrow(/security group id/);
    expect(() => validateEc2Id('p', 'subnet-0123456789ABCDEF0', 'subnet')).toThrow(/subnet id/);
  });
  test('ARNs name their service and region', () => {
    expect(parseArn('p', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', 'acm', 'x')?.region).toBe('eu-west-1');
    expect(() => parseArn('p', 'certificate/abc', 'acm', 'x')).toThrow(/is not an ARN/);
    expect(() => parseArn('p', 'arn:aws:iam::123456789012:role/a', 'acm', 'x')).toThrow(/an ARN of iam, not of acm/);
  });
  test('Kubernetes versions are major.minor strings', () => {
    expect(() => validateKubernetesVersion('p', '1.35')).not.toThrow();
    expect(() => validateKubernetesVersion('p', 1.35)).toThrow(/the number 1.35; give the version as a string/);
    expect(() => validateKubernetesVersion('p', 'v1.35')).toThrow(/drop it: "1.35"/);
  });
});

describe('construct paths and duplicates', () => {
  @reportsConstructPath
  class Checked extends Construct {
    public static readonly KIND = 'checked';
    constructor(scope: Construct, id: string, fail: boolean) {
      super(scope, id);
      if (fail) throw new ValidationError('Checked.fail', 'is true; set it to false.');
    }
  }

  test('a decorated construct adds its path and stays itself', () => {
    const stack = new Stack(new App(), 'Test');
    const ok = new Checked(stack, 'Ok', false);
    expect(ok).toBeInstanceOf(Checked);
    expect(Checked.KIND).toBe('checked');
    expect(() => new Checked(new Construct(stack, 'Parent'), 'Bad', true)).toThrow(/^Test\/Parent\/Bad: Checked\.fail: is true; set it to false\.$/);
  });

  test('a claim names both constructs; the same construct may claim again', () => {
    const stack = new Stack(new App(), 'Test');
    const owner = new Construct(stack, 'Cluster');
    const first = new Construct(stack, 'First');
    const second = new Construct(stack, 'Second');
    claimUnique(owner, 'NodePool', 'a', first, 'Pool.name', 'Rename one.');
    claimUnique(owner, 'NodePool', 'a', first, 'Pool.name', 'Rename one.');
    claimUnique(owner, 'NodePool', 'b', second, 'Pool.name', 'Rename one.');
    expect(() => claimUnique(owner, 'NodePool', 'a', second, 'Pool.name', 'Rename one.'))
      .toThrow('Test/Second: Pool.name: NodePool "a" is already defined by Test/First (in Test/Cluster). Rename one.');
  });
});

describe('misspelled props', () => {
  const shape = { expireAfter: isString("'720h'"), name: isString("'a'"), consolidateAfter: isString("'30s'") };
  test.each([['expireAftr', 'expireAfter'], ['ExpireAfter', 'expireAfter'], ['expire_after', 'expireAfter'], ['consolidateAftre', 'consolidateAfter']])('%s is refused as a near miss of %s', (typed, meant) => {
    expect(() => checkProps('Pool', { [typed]: 'x' }, shape)).toThrow(`Pool.${typed}: is not a prop of Pool; did you mean \`${meant}\`?`);
  });
  test.each(['nam', 'tags', 'expiry', 'other'])('%s is left alone (not close enough to a short or known name)', (typed) => {
    expect(() => checkProps('Pool', { [typed]: 'x' }, shape)).not.toThrow();
  });
  test('off where the props are a spread of several options', () => {
    expect(() => checkProps('Pool', { expireAftr: 'x' }, shape, { refuseMisspelled: false })).not.toThrow();
  });
});

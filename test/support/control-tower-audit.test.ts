import { Duration, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledgeControlTower } from '../../constructs/common/acknowledge';
import { projectApp } from './app';
import { runControlTowerAudit } from './control-tower-audit';

describe('Control Tower audit (cfn-guard rules of @cdklabs/cdk-validator-cfnguard)', () => {
  test('non-compliant: a queue without a dead-letter queue is an open finding', () => {
    // GIVEN
    const app = projectApp();
    new sqs.Queue(new Stack(app, 'S'), 'Queue', { retentionPeriod: Duration.minutes(5) });
    // WHEN
    const report = runControlTowerAudit(app);
    // THEN
    expect(report.rulesChecked).toBeGreaterThan(100);
    expect(report.open).toEqual(expect.arrayContaining([{ rule: 'sqs_dlq_check', logicalId: expect.stringMatching(/^Queue/), constructPath: 'S/Queue/Resource' }]));
  });

  test('compliant: an acknowledgment with a reason covers its construct, not a sibling', () => {
    const app = projectApp();
    const stack = new Stack(app, 'S');
    const acknowledged = new sqs.Queue(stack, 'Acknowledged');
    new sqs.Queue(stack, 'Other');
    acknowledgeControlTower(acknowledged, { sqs_dlq_check: 'test: events are useless once stale' });
    const report = runControlTowerAudit(app);
    expect(report.open.filter((f) => f.rule === 'sqs_dlq_check').map((f) => f.constructPath)).toEqual(['S/Other/Resource']);
    expect(report.acknowledged).toEqual([expect.objectContaining({ rule: 'sqs_dlq_check', constructPath: 'S/Acknowledged/Resource', reason: 'test: events are useless once stale' })]);
  });
});

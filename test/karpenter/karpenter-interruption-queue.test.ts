import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { KarpenterInterruptionQueue } from '../../constructs/karpenter/karpenter-interruption-queue';

describe('KarpenterInterruptionQueue', () => {
  let template: Template;
  let queueId: string;
  const queueArn = () => ({ 'Fn::GetAtt': [queueId, 'Arn'] });

  beforeAll(() => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    // WHEN
    new KarpenterInterruptionQueue(stack, 'Interruption', { queueName: 'my-cluster' });
    template = Template.fromStack(stack);
    queueId = Object.keys(template.findResources('AWS::SQS::Queue'))[0];
  });

  test('SQS-managed encryption and a 5-minute retention', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'my-cluster',
      MessageRetentionPeriod: 300,
      SqsManagedSseEnabled: true,
      KmsMasterKeyId: Match.absent(),
    });
  });

  test('queue policy: EventBridge and SQS may send, nothing may use plain HTTP', () => {
    template.resourceCountIs('AWS::SQS::QueuePolicy', 1);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] },
            Action: 'sqs:SendMessage',
            Resource: queueArn(),
          },
          {
            Sid: 'DenyHTTP',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: queueArn(),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    });
  });

  test.each([
    ['aws.health', 'AWS Health Event'],
    ['aws.ec2', 'EC2 Spot Instance Interruption Warning'],
    ['aws.ec2', 'EC2 Instance Rebalance Recommendation'],
    ['aws.ec2', 'EC2 Instance State-change Notification'],
    ['aws.ec2', 'EC2 Capacity Reservation Instance Interruption Warning'],
  ])('a rule sends %s "%s" events to the queue', (source, detailType) => {
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: Match.exact({ 'source': [source], 'detail-type': [detailType] }),
      Targets: [{ Id: 'KarpenterInterruptionQueueTarget', Arn: queueArn() }],
    });
  });

  test('exactly five rules, none with extra targets', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(5);
    for (const rule of rules) expect(rule.Properties.Targets).toHaveLength(1);
  });

  test('without a name, CloudFormation generates one', () => {
    const stack = new Stack(new App(), 'Test');
    new KarpenterInterruptionQueue(stack, 'Interruption');
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { QueueName: Match.absent(), SqsManagedSseEnabled: true });
  });

  test.each([['has space'], ['x'.repeat(81)], ['queue.fifo']])('queue name %p is rejected', (queueName) => {
    const stack = new Stack(new App(), 'Test');
    expect(() => new KarpenterInterruptionQueue(stack, 'Interruption', { queueName }))
      .toThrow(/KarpenterInterruptionQueue\.queueName: ".*" is not a valid SQS queue name: use 1 to 80 letters, digits, '-' and '_'/);
  });
});

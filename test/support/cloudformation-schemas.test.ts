import type * as schemas from './cloudformation-schemas';
import { loadWithoutReference } from './without-reference';

const withoutReference = () => loadWithoutReference(() => require('./cloudformation-schemas') as typeof schemas);

describe('CloudFormation check without ../shared/reference (aws-service-spec)', () => {
  let helpers: typeof schemas;
  let restore: () => void;
  beforeAll(() => ({ helpers, restore } = withoutReference()));
  afterAll(() => restore());

  test('accepts valid resources and skips deploy-time values', () => {
    const result = helpers.checkTemplateAgainstRegistry({
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 60, SqsManagedSseEnabled: true, QueueName: { 'Fn::Join': ['', ['a', { Ref: 'AWS::StackName' }]] } } },
        Custom: { Type: 'Custom::Thing', Properties: { Anything: 1 } },
      },
    });
    expect(result).toEqual({ errors: [], checkedTypes: ['AWS::SQS::Queue'], uncheckedTypes: ['Custom::Thing'] });
  });

  test('reports unknown, missing and mistyped properties', () => {
    const { errors } = helpers.checkTemplateAgainstRegistry({
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueNam: 'typo', VisibilityTimeout: 'soon' } },
        AccessPoint: { Type: 'AWS::EFS::AccessPoint', Properties: { RootDirectory: { Path: 7 } } },
      },
    });
    expect(errors).toEqual([
      'Queue (AWS::SQS::Queue): unknown property QueueNam',
      'Queue (AWS::SQS::Queue).VisibilityTimeout: "soon" is not a number',
      'AccessPoint (AWS::EFS::AccessPoint): required property FileSystemId is missing',
      'AccessPoint (AWS::EFS::AccessPoint).RootDirectory.Path: 7 is not a string',
    ]);
  });
});

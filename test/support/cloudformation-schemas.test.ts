import type * as schemas from './cloudformation-schemas';

/** Loads the CloudFormation check as a machine without ../shared/reference sees it. */
function withoutReference(): { helpers: typeof schemas; restore: () => void } {
  const saved = { dir: process.env.REFERENCE_DIR, required: process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE };
  process.env.REFERENCE_DIR = '/nonexistent/reference';
  delete process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE;
  let loaded: typeof schemas | undefined;
  jest.isolateModules(() => {
    loaded = require('./cloudformation-schemas') as typeof schemas;
  });
  return {
    helpers: loaded!,
    restore: () => {
      if (saved.dir === undefined) delete process.env.REFERENCE_DIR; else process.env.REFERENCE_DIR = saved.dir;
      if (saved.required !== undefined) process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE = saved.required;
    },
  };
}

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

import { Stack } from 'aws-cdk-lib';
import { ImageComponent } from '../../constructs/windows-ami/image-component';

describe('ImageComponent', () => {
  test('awsManaged() points at the AWS-owned component of the stack\'s region and partition, latest version by default', () => {
    // GIVEN
    const stack = new Stack();

    // WHEN
    const latest = ImageComponent.awsManaged('update-windows');
    const pinned = ImageComponent.awsManaged('powershell-windows', '7.4.0');

    // THEN
    expect(stack.resolve(latest.arn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':imagebuilder:', { Ref: 'AWS::Region' }, ':aws:component/update-windows/x.x.x']] });
    expect(stack.resolve(pinned.arn)['Fn::Join'][1]).toContain(':aws:component/powershell-windows/7.4.0');
  });

  test('fromArn() takes an own component ARN, with or without a build number', () => {
    // WHEN / THEN
    expect(ImageComponent.fromArn('arn:aws:imagebuilder:us-east-1:123456789012:component/agent/1.2.0').arn).toBe('arn:aws:imagebuilder:us-east-1:123456789012:component/agent/1.2.0');
    expect(ImageComponent.fromArn('arn:aws-us-gov:imagebuilder:us-gov-west-1:123456789012:component/agent/1.2.0/3').arn).toMatch(/agent\/1\.2\.0\/3$/);
  });

  test.each<[string, () => ImageComponent, RegExp]>([
    ['an ARN of another service', () => ImageComponent.fromArn('arn:aws:s3:::bucket/component'), /ImageComponent\.fromArn\(arn\): "arn:aws:s3:::bucket\/component" is not an Image Builder component ARN/],
    ['a recipe ARN', () => ImageComponent.fromArn('arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.0.0'), /is not an Image Builder component ARN/],
    ['an upper-case name', () => ImageComponent.awsManaged('Update-Windows'), /ImageComponent\.awsManaged\(name\): "Update-Windows" is not a component name/],
    ['a two-part version', () => ImageComponent.awsManaged('update-windows', '1.0'), /ImageComponent\.awsManaged\(version\): "1\.0" is not a component version/],
  ])('rejects %s', (_name, make, error) => {
    expect(make).toThrow(error);
  });
});

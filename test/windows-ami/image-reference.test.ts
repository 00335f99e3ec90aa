import { Token } from 'aws-cdk-lib';
import { parseImageReference } from '../../constructs/windows-ami/private/image-reference';

describe('parseImageReference', () => {
  test.each<[string, string, string | undefined]>([
    ['mcr.microsoft.com/windows/servercore:ltsc2022', 'mcr.microsoft.com', undefined],
    ['docker.io/library/nginx:1.27', 'docker.io', undefined],
    ['public.ecr.aws/eks-distro/kubernetes/pause:v1.29.5-eks-1-29-latest', 'public.ecr.aws', undefined],
    [`localhost:5000/tools/agent@sha256:${'0123456789abcdef'.repeat(4)}`, 'localhost:5000', undefined],
    ['registry.example.com:8443/team/app_name:2024.06-rc1', 'registry.example.com:8443', undefined],
    ['123456789012.dkr.ecr.eu-central-1.amazonaws.com/desktops/agent:1.0', '123456789012.dkr.ecr.eu-central-1.amazonaws.com', 'eu-central-1'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/agent:1.0', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
  ])('accepts %s', (reference, registry, ecrRegion) => {
    // WHEN
    const parsed = parseImageReference('images[0]', reference);

    // THEN
    expect(parsed).toEqual({ reference, registry, ecrRegion });
  });

  test.each<[string, RegExp]>([
    ['nginx:1.27', /images\[0\]: "nginx:1\.27" is not a fully qualified image reference/],
    ['library/nginx:1.27', /is not a fully qualified image reference/],
    ['mcr.microsoft.com/windows/servercore', /has neither a tag nor a digest/],
    [`docker.io/library/nginx:1.27@sha256:${'a'.repeat(64)}`, /has both a tag and a digest/],
    ['docker.io/library/nginx@sha256:abc', /is not a fully qualified image reference/],
    ['docker.io/library/nginx:1.27 --all-platforms', /is not a fully qualified image reference/],
    ['docker.io/library/nginx:$(whoami)', /is not a fully qualified image reference/],
    ['', /is not a fully qualified image reference/],
  ])('rejects "%s"', (reference, error) => {
    expect(() => parseImageReference('images[0]', reference)).toThrow(error);
  });

  test('rejects a deploy-time value, which would end up in PowerShell and in a content hash', () => {
    expect(() => parseImageReference('images[0]', Token.asString({ Ref: 'Image' }))).toThrow(/images\[0\]: is a deploy-time value/);
  });
});

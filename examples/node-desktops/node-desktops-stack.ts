import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DesktopCertificateAuthority } from '../../constructs/certificates/desktop-certificate-authority';
import { DesktopCluster } from '../../constructs/cluster/desktop-cluster';
import { NodeDesktopDirectory } from '../../constructs/node-desktops/node-desktop-directory';
import { NodeDesktopIsolation } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopProfiles } from '../../constructs/node-desktops/node-desktop-profiles';
import { NodeDesktops } from '../../constructs/node-desktops/node-desktops';
import { RdsLicenseServerEndpoint } from '../../constructs/node-desktops/rds-license-server-endpoint';

/** What the example needs from the customer's environment. */
export interface NodeDesktopsExampleProps extends StackProps {
  readonly availabilityZones: string[];
  /** Security group of the gateway's guacd pods (`GuacamoleGateway.podSecurityGroup` when in the same app). */
  readonly guacdSecurityGroupId: string;
  /** Identity provider registered with License Manager user-based subscriptions. */
  readonly identityProviderArn: string;
}

/**
 * Node desktops for directory users: a shared pool of Windows Server 2022 desktops joined to
 * AWS Managed Microsoft AD, FSLogix profiles on FSx for Windows File Server, RDS SALs from
 * License Manager, two warm desktops. The README's "Node desktops" snippet is this file.
 */
export class NodeDesktopsExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: NodeDesktopsExampleProps) {
    super(scope, id, props);

    const platform = new DesktopCluster(this, 'Desktops', {
      clusterName: 'desktops',
      availabilityZones: props.availabilityZones,
      systemNamespaces: ['cert-manager'],
    });
    const karpenter = platform.addKarpenter('Karpenter');

    // Each session's node presents a certificate for its Service name from this CA; the gateway
    // (another app) trusts it with `rdpCertificateAuthority:
    // DesktopCertificateAuthority.fromIssuerName(this, 'Ca', 'desktop-rdp-ca')`.
    const certificates = new DesktopCertificateAuthority(this, 'DesktopCertificates', { cluster: platform.cluster, clusterReady: platform.systemReady });

    // RDS SALs: the endpoint is the only CloudFormation part; users are subscribed by API.
    new RdsLicenseServerEndpoint(this, 'RdsSal', {
      identityProviderArn: props.identityProviderArn,
      credentialsSecret: secretsmanager.Secret.fromSecretNameV2(this, 'LicenseAdmin', 'desktops/license-admin'),
    });

    new NodeDesktops(this, 'NodeDesktops', {
      karpenter,
      isolation: NodeDesktopIsolation.sharedPool({ maxDesktops: 200 }),
      rdpClientSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'Guacd', props.guacdSecurityGroupId),
      certificateAuthority: certificates,
      warmDesktops: 2,
      directory: NodeDesktopDirectory.awsManagedMicrosoftAd({
        domainName: 'corp.example.com',
        netBiosName: 'CORP',
        dnsServers: ['10.0.0.10', '10.0.1.10'],
        joinSecretName: 'domain-join',                       // synced from Secrets Manager by External Secrets
        organizationalUnit: 'OU=Desktops,OU=corp,DC=corp,DC=example,DC=com',
      }),
      profiles: NodeDesktopProfiles.fsLogix({ share: '\\\\amznfsxabcd1234.corp.example.com\\share\\profiles' }),
      rdsLicenseServers: ['10.0.0.20'],                      // the endpoint's license server address
      egress: { fileShareCidrs: ['10.0.0.0/24', '10.0.1.0/24'] },
      users: [{ userId: 'alice@example.com' }, { userId: 'bob@example.com' }],
    });
  }
}

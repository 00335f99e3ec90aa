import { createHash } from 'crypto';
import { Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as imagebuilder from 'aws-cdk-lib/aws-imagebuilder';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeAwsSolutions } from '../common/acknowledge';
import { validateAwsCron } from '../common/cron';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, isArrayOf, isBoolean, isConstruct, isEnumMember, isInstanceOf, isNumber, isShape, isString, isStringMap, required,
  validateKubernetesVersion, validateNonEmpty, wholeGibibytes,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { isWindowsVersion } from '../karpenter/private/node-pool-validation';
import { IWindowsAmiSource } from '../karpenter/windows-ami';
import { WindowsVersion } from '../karpenter/windows-version';
import { ImageComponent } from './image-component';
import {
  createEgressOnlySecurityGroup,
  createFastLaunchLaunchTemplate,
  resolveFastLaunchSettings,
  selectSubnet,
  WINDOWS_ROOT_DEVICE,
} from './private/fast-launch';
import { ImageReference, parseImageReference } from './private/image-reference';
import { prePullDocument } from './private/prepull-document';
import { addWarning } from '../common/warnings';
import { LABEL_DOMAIN, PURPOSE_TAG } from '../common/well-known';

/** Tag keys this library puts on the AMIs it builds. */
export const AMI_TAG_NAME = `${LABEL_DOMAIN}/ami`;
export const AMI_TAG_WINDOWS_BUILD = `${LABEL_DOMAIN}/windows-build`;
export const AMI_TAG_WINDOWS_VERSION = `${LABEL_DOMAIN}/windows-version`;
export const AMI_TAG_KUBERNETES_VERSION = `${LABEL_DOMAIN}/kubernetes-version`;

/** Image Builder's service-linked role enables Fast Launch only with launch templates tagged so. */
const IMAGE_BUILDER_CREATED_BY = { CreatedBy: 'EC2 Image Builder' };
/** A component's document (`Data`) is limited to 16,000 characters. */
const MAX_COMPONENT_DATA = 16000;
const MIN_ROOT_VOLUME_GIB = 50;
const MAX_ROOT_VOLUME_GIB = 16384;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$/;

/**
 * Windows Server installation option of the parent AMI.
 */
export enum WindowsServerEdition {
  /** Server Core: no desktop experience, smaller and faster to boot (EKS' default). */
  CORE = 'Core',
  /** Desktop Experience ("Full"). */
  FULL = 'Full',
}

/**
 * When a scheduled pipeline run builds a new AMI.
 *
 * @see https://docs.aws.amazon.com/imagebuilder/latest/userguide/cron-expressions.html
 */
export enum PipelineStartCondition {
  /** Only when the parent image or a component has a newer version than the last build. */
  WHEN_DEPENDENCIES_UPDATED = 'EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE',
  /** At every scheduled time (each build is a new AMI: nodes drift even if nothing changed). */
  ALWAYS = 'EXPRESSION_MATCH_ONLY',
}

/**
 * Props of `FastLaunchWindowsAmi`.
 */
export interface FastLaunchWindowsAmiProps {
  /** VPC of the cluster: build instances and Fast Launch pre-provisioning instances run there. */
  readonly vpc: ec2.IVpc;

  /** Windows Server version of the AMI (and of the node pools that use it). */
  readonly windowsVersion: WindowsVersion;

  /**
   * Kubernetes version of the cluster, e.g. `1.35`: the parent is the EKS optimized Windows
   * AMI with that kubelet. Windows Server 2025 AMIs exist from 1.35.
   */
  readonly kubernetesVersion: string;

  /**
   * Installation option of the parent AMI.
   * @default WindowsServerEdition.CORE
   */
  readonly edition?: WindowsServerEdition;

  /**
   * Base name of the Image Builder resources and of the AMIs (`<name>-<build date>`), and the
   * value of the `desktop.io/ami` tag that node pools select: 3 to 64 letters, digits, '-' and
   * '_'. Unique per account and region.
   * @default - derived from the construct path
   */
  readonly name?: string;

  /**
   * Container images to pull into containerd (`ctr -n k8s.io images pull`) while building, so
   * that the first pod on a new node finds them extracted. Fully qualified, with a tag or a
   * digest, exactly as pods reference them (e.g. your desktop agent's image, or
   * `registry.k8s.io/pause:3.10.2` for `WarmCapacity`). The EKS-optimized Windows AMIs already
   * cache the Windows Server Core and Nano Server base images: list workload images instead.
   *
   * Public registries are pulled anonymously. Private Amazon ECR images are pulled with a token
   * of the build instance's role (it then gets `AmazonEC2ContainerRegistryPullOnly`), obtained
   * with the AWS Tools for PowerShell of Amazon's Windows AMIs. Other registries needing
   * credentials are not supported: mirror them to ECR.
   * @default - none
   */
  readonly prePulledImages?: string[];

  /**
   * More build components, run after the pre-pull (e.g. agents, hardening).
   * @default - none
   */
  readonly additionalComponents?: ImageComponent[];

  /**
   * The subnet of build and pre-provisioning instances: the first one selected. It needs a
   * route to the internet (NAT) or VPC endpoints for SSM, S3, EC2 and the registries.
   * @default { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
   */
  readonly subnetSelection?: ec2.SubnetSelection;

  /**
   * Instance types of the build instance (Image Builder picks one that is available).
   * @default [m6i.xlarge]
   */
  readonly buildInstanceTypes?: ec2.InstanceType[];

  /**
   * Root volume of the AMI (gp3, encrypted), whole GiB from 50 GiB to 16 TiB; nodes get at
   * least this much. Pre-pulled Windows images take several GiB each.
   * @default Size.gibibytes(100)
   */
  readonly rootVolumeSize?: Size;

  /**
   * Customer managed key for the AMI's snapshots and the pre-provisioned snapshots. Its key
   * policy must let Image Builder's and EC2 Fast Launch's service-linked roles and the launches
   * of Karpenter use it.
   * @default - the account's default EBS key
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How many instances EC2 Fast Launch may run at once to create pre-provisioned snapshots
   * (`MaxParallelLaunches`, at least 6). All Fast Launch AMIs of a region share a quota of 40.
   * @default 6
   */
  readonly maxParallelLaunches?: number;

  /**
   * Nodes you expect Karpenter to launch at once at peak: that many pre-provisioned snapshots
   * are kept ready (`SnapshotConfiguration.TargetResourceCount`, at least 1). Launches beyond
   * it boot at standard speed until EC2 replenishes the snapshots.
   * @default 5
   */
  readonly expectedBurst?: number;

  /**
   * When the pipeline checks for a new build, as a cron expression
   * (`events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' })`), in UTC.
   * @default - Sundays 03:00 UTC (`cron(0 3 ? * SUN *)`)
   */
  readonly schedule?: events.Schedule;

  /**
   * Whether a scheduled run always builds or only when the parent AMI or a component changed.
   * @default PipelineStartCondition.WHEN_DEPENDENCIES_UPDATED
   */
  readonly startCondition?: PipelineStartCondition;

  /**
   * Builds one AMI during deployment (an `AWS::ImageBuilder::Image`), and again whenever the
   * recipe changes, so node pools have an AMI before the first scheduled run. A Windows build
   * takes 30 to 90 minutes, which the deployment waits for.
   * @default true
   */
  readonly buildOnDeploy?: boolean;

  /**
   * Bucket for the build logs.
   * @default - no S3 logs (Image Builder still logs to CloudWatch Logs)
   */
  readonly logBucket?: s3.IBucket;

  /**
   * Key prefix of the build logs in `logBucket`.
   * @default 'imagebuilder/<name>/'
   */
  readonly logPrefix?: string;

  /**
   * More tags of the AMIs. The `desktop.io/*` keys are the library's own.
   * @default - none
   */
  readonly amiTags?: Record<string, string>;
}

/**
 * An EC2 Image Builder pipeline that bakes fast-booting Windows node AMIs for EKS.
 *
 * - Parent: the EKS optimized Windows AMI of `windowsVersion` and `kubernetesVersion`, read
 *   from its public SSM parameter at each build, so patched parents roll in.
 * - Components: pre-pull of `prePulledImages` into containerd, then `additionalComponents`.
 * - Infrastructure: a private subnet of the cluster VPC, a security group without inbound
 *   rules, IMDSv2, an instance profile with only the SSM and Image Builder managed policies
 *   (plus ECR pull for private ECR images), encrypted gp3 root volume, instances terminated
 *   on failure.
 * - Distribution: AMIs named `<name>-<build date>` and tagged (`desktop.io/ami`, build,
 *   versions), with EC2 Fast Launch (pre-provisioned snapshots, launched through a launch
 *   template in the cluster VPC).
 * - A weekly schedule, and a first build during deployment.
 *
 * Use the AMIs in a node pool with `WindowsAmi.fromFastLaunchAmi(ami)`: Karpenter picks the
 * newest, and nodes drift to each new one.
 *
 * Enabling Fast Launch is asynchronous: for a while after each build, nodes launch at standard
 * speed until EC2 has created the pre-provisioned snapshots.
 *
 * Karpenter (v1.14.1) always sends block device mappings for Windows nodes, and with explicit
 * mappings EC2 reportedly builds the root volume from the AMI's own snapshot, not from a
 * pre-provisioned one (aws/karpenter-provider-aws#9014): through Karpenter, count on the
 * pre-pulled images, not on Fast Launch (README, "Fast Launch and Karpenter").
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-ami-config-fast-launch.html
 * @see https://docs.aws.amazon.com/eks/latest/userguide/eks-optimized-windows-ami.html
 */
@reportsConstructPath
export class FastLaunchWindowsAmi extends Construct implements IWindowsAmiSource {
  /** Base name of the Image Builder resources and the AMIs; value of the `desktop.io/ami` tag. */
  public readonly name: string;
  /** Windows Server version of the AMIs. */
  public readonly windowsVersion: WindowsVersion;
  /** Kubernetes version of the AMIs' kubelet. */
  public readonly kubernetesVersion: string;
  /** Installation option of the parent AMI. */
  public readonly edition: WindowsServerEdition;
  /** Parent image of the recipe: `ssm:` and the public parameter of the EKS optimized AMI. */
  public readonly parentImage: string;
  /** Every tag of the output AMIs. */
  public readonly amiTags: Record<string, string>;
  /** The tags node pools select the AMIs by (`desktop.io/ami` and `desktop.io/windows-build`). */
  public readonly amiSelectorTags: Record<string, string>;
  /** Instances EC2 Fast Launch runs at once to create snapshots. */
  public readonly maxParallelLaunches: number;
  /** Pre-provisioned snapshots EC2 Fast Launch keeps ready. */
  public readonly targetResourceCount: number;
  /** The component that pre-pulls the images. */
  public readonly prePullComponent: imagebuilder.CfnComponent;
  /** The image recipe. */
  public readonly recipe: imagebuilder.CfnImageRecipe;
  /** The infrastructure configuration of build instances. */
  public readonly infrastructureConfiguration: imagebuilder.CfnInfrastructureConfiguration;
  /** The distribution configuration (tags, Fast Launch). */
  public readonly distributionConfiguration: imagebuilder.CfnDistributionConfiguration;
  /** The image pipeline. */
  public readonly pipeline: imagebuilder.CfnImagePipeline;
  /** ARN of the image pipeline. */
  public readonly pipelineArn: string;
  /**
   * The image built during deployment.
   * @default - none when `buildOnDeploy` is false
   */
  public readonly initialImage?: imagebuilder.CfnImage;
  /** Launch template of the Fast Launch pre-provisioning instances. */
  public readonly launchTemplate: ec2.CfnLaunchTemplate;
  /** Security group of build and pre-provisioning instances (no inbound rule, HTTPS out). */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** Role of the build instances. */
  public readonly instanceRole: iam.IRole;

  constructor(scope: Construct, id: string, props: FastLaunchWindowsAmiProps) {
    super(scope, id);
    const p = 'FastLaunchWindowsAmi';
    const stack = Stack.of(this);
    checkProps(p, props, {
      vpc: required(isConstruct('an ec2.IVpc')),
      windowsVersion: required(isWindowsVersion()),
      kubernetesVersion: required((prop, value) => validateKubernetesVersion(prop, value)),
      edition: isEnumMember(WindowsServerEdition, 'WindowsServerEdition'),
      name: isString("'windows-2022-desktops'"),
      prePulledImages: isArrayOf(isString("'mcr.microsoft.com/windows/servercore:ltsc2022'"), "['mcr.microsoft.com/windows/servercore:ltsc2022']"),
      additionalComponents: isArrayOf(isInstanceOf(ImageComponent, "ImageComponent.awsManaged('update-windows')"), "[ImageComponent.awsManaged('update-windows')]"),
      subnetSelection: isShape({}, '{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }'),
      buildInstanceTypes: isArrayOf(isInstanceOf(ec2.InstanceType, "an ec2.InstanceType, e.g. new ec2.InstanceType('m6i.xlarge')"), "[new ec2.InstanceType('m6i.xlarge')]"),
      rootVolumeSize: isInstanceOf(Size, 'an aws-cdk-lib Size, e.g. Size.gibibytes(100)'),
      encryptionKey: isConstruct('a kms.IKey'),
      maxParallelLaunches: isNumber('6'),
      expectedBurst: isNumber('5'),
      schedule: isInstanceOf(events.Schedule, "events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' })"),
      startCondition: isEnumMember(PipelineStartCondition, 'PipelineStartCondition'),
      buildOnDeploy: isBoolean(),
      logBucket: isConstruct('an s3.IBucket'),
      logPrefix: isString("'imagebuilder/'"),
      amiTags: isStringMap("{ team: 'desktops' }"),
    });

    // Defaults.
    const windowsVersion = props.windowsVersion;
    const kubernetesVersion = props.kubernetesVersion;
    const edition = props.edition ?? WindowsServerEdition.CORE;
    const name = props.name ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    const imageRefs = props.prePulledImages ?? [];
    const additionalComponents = props.additionalComponents ?? [];
    const subnetSelection = props.subnetSelection ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const instanceTypes = props.buildInstanceTypes ?? [new ec2.InstanceType('m6i.xlarge')];
    const rootVolumeSize = props.rootVolumeSize ?? Size.gibibytes(100);
    const schedule = props.schedule ?? events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' });
    const startCondition = props.startCondition ?? PipelineStartCondition.WHEN_DEPENDENCIES_UPDATED;
    const buildOnDeploy = props.buildOnDeploy ?? true;
    const logPrefix = props.logPrefix ?? `imagebuilder/${name}/`;
    const extraTags = props.amiTags ?? {};

    // Validation.
    // EKS publishes no optimized AMI of this Windows version for older Kubernetes versions.
    windowsVersion.checkKubernetesVersion(`${p}.kubernetesVersion`, kubernetesVersion);
    if (!Token.isUnresolved(name) && !NAME.test(name)) {
      throw new ValidationError(`${p}.name`, `"${name}" is not a valid name; use 3 to 64 letters, digits, '-' and '_', starting with a letter or digit (e.g. "windows-2022-desktops").`);
    }
    const images: ImageReference[] = imageRefs.map((ref, i) => parseImageReference(`${p}.prePulledImages[${i}]`, ref));
    imageRefs.forEach((ref, i) => validateImageBuild(`${p}.prePulledImages[${i}]`, ref, windowsVersion));
    const cachedBases = imageRefs.filter((ref) => /^mcr\.microsoft\.com\/windows\/(servercore|nanoserver)[:@]/.test(ref));
    if (cachedBases.length > 0) {
      addWarning(this, 'prePullCachedBase',
        `${p}.prePulledImages lists ${cachedBases.join(', ')}, which EKS-optimized Windows AMIs already cache; pre-pull your workload images instead (they build the AMI longer for nothing).`);
    }
    const duplicate = imageRefs.find((ref, i) => imageRefs.indexOf(ref) !== i);
    if (duplicate !== undefined) {
      throw new ValidationError(`${p}.prePulledImages`, `lists "${duplicate}" twice; list each image once.`);
    }
    validateNonEmpty(`${p}.buildInstanceTypes`, instanceTypes, 'give at least one instance type, e.g. [new ec2.InstanceType(\'m6i.xlarge\')].');
    instanceTypes.forEach((type, i) => {
      if (type.architecture !== ec2.InstanceArchitecture.X86_64) {
        throw new ValidationError(`${p}.buildInstanceTypes[${i}]`, `"${type}" is an ${type.architecture} instance type, but the EKS optimized Windows AMI is x86-64 only; Image Builder could not launch it. Use an x86-64 type such as m6i.xlarge.`);
      }
    });
    const rootVolumeGib = wholeGibibytes(`${p}.rootVolumeSize`, rootVolumeSize);
    if (rootVolumeGib < MIN_ROOT_VOLUME_GIB || rootVolumeGib > MAX_ROOT_VOLUME_GIB) {
      throw new ValidationError(`${p}.rootVolumeSize`, `is ${rootVolumeGib} GiB; Windows node AMIs need ${MIN_ROOT_VOLUME_GIB} GiB to ${MAX_ROOT_VOLUME_GIB} GiB (the OS and each pre-pulled image take several GiB), e.g. Size.gibibytes(100).`);
    }
    const fastLaunch = resolveFastLaunchSettings(this, p, props.maxParallelLaunches, props.expectedBurst);
    const scheduleExpression = schedule.expressionString;
    if (!Token.isUnresolved(scheduleExpression) && !scheduleExpression.startsWith('cron(')) {
      throw new ValidationError(`${p}.schedule`, `"${scheduleExpression}" is not a cron expression; Image Builder pipelines take cron only, e.g. events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' }).`);
    }
    validateAwsCron(`${p}.schedule`, scheduleExpression, "events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' })");
    for (const key of Object.keys(extraTags)) {
      if (key.startsWith(`${LABEL_DOMAIN}/`) || key.startsWith('aws:')) {
        throw new ValidationError(`${p}.amiTags`, `tag key "${key}" is reserved (desktop.io/* are set by this construct, aws:* by AWS); use a key of your own.`);
      }
    }
    const subnet = selectSubnet(`${p}.subnetSelection`, props.vpc, subnetSelection);
    // Image Builder names are unique per account and region: a second pipeline of one name fails.
    claimUnique(stack, 'Image Builder image', name, this, `${p}.name`, 'Give each FastLaunchWindowsAmi its own `name`.');

    // Tags: the selector pair identifies this pipeline's AMIs; the others describe them.
    const amiSelectorTags = { [AMI_TAG_NAME]: name, [AMI_TAG_WINDOWS_BUILD]: windowsVersion.build };
    const amiTags = {
      ...extraTags,
      ...amiSelectorTags,
      [AMI_TAG_WINDOWS_VERSION]: windowsVersion.year,
      [AMI_TAG_KUBERNETES_VERSION]: kubernetesVersion,
    };
    const parentImage = `ssm:/aws/service/ami-windows-latest/Windows_Server-${windowsVersion.year}-English-${edition}-EKS_Optimized-${kubernetesVersion}/image_id`;

    // Build instances: SSM (Image Builder drives the build through it) and Image Builder's own
    // instance policy; nothing else unless private ECR images are pulled.
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Image Builder build instances of ${name}`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('EC2InstanceProfileForImageBuilder'),
        ...(images.some((image) => image.ecrRegion !== undefined) ? [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEC2ContainerRegistryPullOnly')] : []),
      ],
    });
    props.logBucket?.grantPut(role, `${logPrefix}*`);
    const instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role });
    const securityGroup = createEgressOnlySecurityGroup(this, 'SecurityGroup', props.vpc, `Image Builder and EC2 Fast Launch instances of ${name}: no inbound, HTTPS out`);

    // Component and recipe are immutable (name + version): a content hash in their names lets
    // CloudFormation create the replacement before deleting the old one.
    const document = prePullDocument(`${name}-prepull`, images);
    // Image Builder takes YAML or JSON; JSON is valid YAML, so the typed document is stringified.
    const data = JSON.stringify(document, undefined, 2);
    if (data.length > MAX_COMPONENT_DATA) {
      throw new ValidationError(`${p}.prePulledImages`, `makes a component document of ${data.length} characters, over Image Builder's ${MAX_COMPONENT_DATA}; pre-pull fewer images (base images matter most).`);
    }
    const componentName = `${name}-prepull-${shortHash(data)}`;
    const component = new imagebuilder.CfnComponent(this, 'PrePullComponent', {
      name: componentName,
      version: '1.0.0',
      platform: 'Windows',
      description: `Pre-pulls ${images.length} container image(s) into containerd`,
      data,
    });

    const blockDeviceMappings: imagebuilder.CfnImageRecipe.InstanceBlockDeviceMappingProperty[] = [{
      deviceName: WINDOWS_ROOT_DEVICE,
      ebs: { volumeType: 'gp3', volumeSize: rootVolumeGib, encrypted: true, kmsKeyId: props.encryptionKey?.keyArn, deleteOnTermination: true },
    }];
    const recipeHash = shortHash(JSON.stringify(stack.resolve({
      parentImage,
      components: [componentName, ...additionalComponents.map((c) => c.arn)],
      blockDeviceMappings,
    })));
    const recipe = new imagebuilder.CfnImageRecipe(this, 'Recipe', {
      name: `${name}-${recipeHash}`,
      version: '1.0.0',
      description: `EKS optimized Windows Server ${windowsVersion.year} ${edition} for Kubernetes ${kubernetesVersion}, with pre-pulled images`,
      parentImage,
      components: [
        { componentArn: component.attrArn },
        ...additionalComponents.map((c) => ({ componentArn: c.arn })),
      ],
      blockDeviceMappings,
    });

    const infrastructureConfiguration = new imagebuilder.CfnInfrastructureConfiguration(this, 'Infrastructure', {
      name,
      description: `Build instances of ${name}`,
      instanceProfileName: instanceProfile.instanceProfileName,
      instanceTypes: instanceTypes.map((t) => t.toString()),
      subnetId: subnet.subnetId,
      securityGroupIds: [securityGroup.securityGroupId],
      // Nothing on the build instance runs in a container: one hop is enough.
      instanceMetadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
      terminateInstanceOnFailure: true,
      logging: props.logBucket ? { s3Logs: { s3BucketName: props.logBucket.bucketName, s3KeyPrefix: logPrefix } } : undefined,
      resourceTags: { [AMI_TAG_NAME]: name },
    });

    const launchTemplate = createFastLaunchLaunchTemplate(this, 'FastLaunchTemplate', {
      subnet,
      securityGroup,
      encryptionKey: props.encryptionKey,
      resourceTags: { [AMI_TAG_NAME]: name, [PURPOSE_TAG]: 'fast-launch-pre-provisioning' },
      templateTags: { ...IMAGE_BUILDER_CREATED_BY, [AMI_TAG_NAME]: name },
    });

    const amiDistribution: AmiDistribution = {
      Name: `${name}-{{ imagebuilder:buildDate }}`,
      Description: `EKS optimized Windows Server ${windowsVersion.year} ${edition} node for Kubernetes ${kubernetesVersion}, Fast Launch enabled`,
      AmiTags: amiTags,
    };
    const distributionConfiguration = new imagebuilder.CfnDistributionConfiguration(this, 'Distribution', {
      name,
      description: `AMIs of ${name} with EC2 Fast Launch`,
      distributions: [{
        region: stack.region,
        amiDistributionConfiguration: amiDistribution,
        fastLaunchConfigurations: [{
          enabled: true,
          maxParallelLaunches: fastLaunch.maxParallelLaunches,
          snapshotConfiguration: { targetResourceCount: fastLaunch.targetResourceCount },
          launchTemplate: { launchTemplateId: launchTemplate.ref, launchTemplateVersion: launchTemplate.attrLatestVersionNumber },
        }],
      }],
    });

    const pipeline = new imagebuilder.CfnImagePipeline(this, 'Pipeline', {
      name,
      description: `EKS Windows Server ${windowsVersion.year} node AMIs with pre-pulled images and EC2 Fast Launch (${name})`,
      imageRecipeArn: recipe.attrArn,
      infrastructureConfigurationArn: infrastructureConfiguration.attrArn,
      distributionConfigurationArn: distributionConfiguration.attrArn,
      schedule: { scheduleExpression, pipelineExecutionStartCondition: startCondition },
      status: 'ENABLED',
    });

    const initialImage = buildOnDeploy
      ? new imagebuilder.CfnImage(this, 'InitialImage', {
        imageRecipeArn: recipe.attrArn,
        infrastructureConfigurationArn: infrastructureConfiguration.attrArn,
        distributionConfigurationArn: distributionConfiguration.attrArn,
      })
      : undefined;

    // Attributes.
    this.name = name;
    this.windowsVersion = windowsVersion;
    this.kubernetesVersion = kubernetesVersion;
    this.edition = edition;
    this.parentImage = parentImage;
    this.amiTags = amiTags;
    this.amiSelectorTags = amiSelectorTags;
    this.maxParallelLaunches = fastLaunch.maxParallelLaunches;
    this.targetResourceCount = fastLaunch.targetResourceCount;
    this.prePullComponent = component;
    this.recipe = recipe;
    this.infrastructureConfiguration = infrastructureConfiguration;
    this.distributionConfiguration = distributionConfiguration;
    this.pipeline = pipeline;
    this.pipelineArn = pipeline.attrArn;
    this.initialImage = initialImage;
    this.launchTemplate = launchTemplate;
    this.securityGroup = securityGroup;
    this.instanceRole = role;

    // Dependencies: Image Builder checks the instance profile (and its role's policies) when the
    // configuration is created, and launches right away when the image is built on deploy.
    infrastructureConfiguration.node.addDependency(instanceProfile, role);

    acknowledgeAwsSolutions(this, {
      'AwsSolutions-IAM4': 'Build instances carry the AWS-managed AmazonSSMManagedInstanceCore and EC2InstanceProfileForImageBuilder policies (and AmazonEC2ContainerRegistryPullOnly for private ECR images), the minimum Image Builder documents; AWS keeps them in step with the service.',
      'AwsSolutions-IAM5': 'The only wildcard is the log prefix of the build-log bucket (Image Builder writes one object per build under it).',
    });
  }
}

/** `AmiDistributionConfiguration` of a distribution: the L1 types it as `any`, so keys are written as CloudFormation spells them. */
interface AmiDistribution {
  readonly Name: string;
  readonly Description: string;
  readonly AmiTags: Record<string, string>;
}

/** First 8 hex digits of the SHA-256 of `text`: enough to tell versions of one resource apart. */
function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}


/** Windows builds as image tags name them (`ltsc2022`, `10.0.20348.2700`, `1809`). */
const BUILD_TAGS: ReadonlyArray<{ readonly pattern: RegExp; readonly year: string }> = [
  { pattern: /(^|[^0-9])(ltsc2019|1809|10\.0\.17763)/, year: '2019' },
  { pattern: /(^|[^0-9])(ltsc2022|10\.0\.20348)/, year: '2022' },
  { pattern: /(^|[^0-9])(ltsc2025|10\.0\.26100)/, year: '2025' },
];

/**
 * Fails when an image's tag names another Windows build than the AMI's: a Windows container
 * image runs only on its own build, so caching it would cost build time and disk for nothing.
 */
function validateImageBuild(prop: string, reference: string, windowsVersion: WindowsVersion): void {
  const tag = reference.includes('@') ? '' : reference.slice(reference.lastIndexOf(':') + 1);
  const other = BUILD_TAGS.find((b) => b.year !== windowsVersion.year && b.pattern.test(tag));
  if (other !== undefined) {
    throw new ValidationError(prop, `"${reference}" is an image for Windows Server ${other.year}, but this AMI runs ${windowsVersion} (build ${windowsVersion.build}); containers of another build cannot run on it. Use the tag for ${windowsVersion.year} (e.g. ":ltsc${windowsVersion.year}").`);
  }
}

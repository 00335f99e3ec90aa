import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { restrictedPodSecurityContext } from '../common/pod-security';
import { DEDICATED_USER_TAINT_KEY } from '../common/well-known';
import * as cdi from '../imports/cdi.kubevirt.io';
import * as kubevirt from '../imports/kubevirt.io';
import { TaintEffect } from '../karpenter/node-pool-types';
import { contentHash } from './private/content-hash';
import { cdiNodePlacement, coreTolerations, kubevirtNodePlacement } from './private/placement';
import { VmHostPlacement } from './vm-host-placement';
import { APP_NAME_LABEL, APP_PART_OF_LABEL } from '../common/well-known';

/** Namespace the KubeVirt release manifest installs into (fixed by upstream). */
export const KUBEVIRT_NAMESPACE = 'kubevirt';
/** Namespace the CDI release manifest installs into (fixed by upstream). */
export const CDI_NAMESPACE = 'cdi';
/** Name of the KubeVirt custom resource. */
export const KUBEVIRT_CR_NAME = 'kubevirt';
/** Name of the (cluster-scoped) CDI custom resource. */
export const CDI_CR_NAME = 'cdi';
/** CRD of the CDI custom resource (from the CDI operator manifest). */
export const CDI_CRD_NAME = 'cdis.cdi.kubevirt.io';
/** Default name of the StorageClass of user disks (EBS gp3, encrypted, `Retain`). */
export const USER_DISK_STORAGE_CLASS = 'gp3-retain';

/** Release manifest of the KubeVirt operator (CRD, RBAC, virt-operator Deployment). */
export function kubevirtOperatorManifestUrl(version: string): string {
  return `https://github.com/kubevirt/kubevirt/releases/download/v${version}/kubevirt-operator.yaml`;
}

/** Release manifest of the CDI operator (CRD, RBAC, cdi-operator Deployment). */
export function cdiOperatorManifestUrl(version: string): string {
  return `https://github.com/kubevirt/containerized-data-importer/releases/download/v${version}/cdi-operator.yaml`;
}

/**
 * Resolved settings of the KubeVirt and CDI installation. `KubeVirt` applies the defaults and
 * validates; this chart only renders.
 */
export interface KubeVirtInstallChartProps {
  /** KubeVirt release, e.g. `1.9.0`. */
  readonly kubevirtVersion: string;
  /** CDI release, e.g. `1.66.0`. */
  readonly cdiVersion: string;
  /** Pinned kubectl image of the installer Job. */
  readonly installerImage: string;
  /** Namespace of the installer Job, its ServiceAccount and ConfigMap. */
  readonly installerNamespace: string;
  /** Where KubeVirt, CDI, their operators and the installer run: the VM hosts. */
  readonly placement: VmHostPlacement;
  /**
   * StorageClass of persistent TPM and EFI state (`spec.configuration.vmStateStorageClass`).
   * @default - unset: the cluster's default class, with ReadWriteOnce
   */
  readonly vmStateStorageClass?: string;
  /**
   * KubeVirt feature gates to turn on (`developerConfiguration.featureGates`).
   * @default - none
   */
  readonly featureGates?: string[];
  /** Name of the StorageClass for user disks, whose volumes are retained. */
  readonly userDiskStorageClassName: string;
  /**
   * KMS key (id, alias or ARN) that encrypts user disks.
   * @default - the account's default EBS key
   */
  readonly userDiskKmsKeyId?: string;
}

/** The Job's pod runs one kubectl command per container, in order: no shell, no script. */
interface InstallStep {
  readonly name: string;
  readonly args: string[];
}

const CONFIG_MOUNT = '/config';
const RUN_AS = 65532;
const RESTRICTED = 'restricted';

/**
 * Installs KubeVirt and CDI at deploy time from their pinned release manifests, which are never
 * copied into this repository:
 *
 * - a namespace (Pod Security `restricted`) with a ServiceAccount and the RBAC the install needs;
 * - a ConfigMap holding the KubeVirt and CDI custom resources, rendered from the typed
 *   bindings, and the placement patch for the two operators;
 * - a Job whose pod runs kubectl steps in order: apply both operator manifests (server-side:
 *   KubeVirt's CRD is too large for client-side apply), pin the operators to the VM hosts, wait
 *   for the CRDs, apply the custom resources, and wait until both report `Available`;
 * - the StorageClass of user disks (EBS gp3, encrypted, reclaim policy `Retain`).
 *
 * The Job's name carries a hash of everything it applies: a Job's pod template is immutable, so
 * a new version or setting gets a new Job, which runs again (every step is idempotent).
 *
 * Placement: the operators, KubeVirt's control plane (`spec.infra`), virt-handler
 * (`spec.workloads`), CDI's control plane (`spec.infra`) and CDI's importer, uploader and cloner
 * pods (`spec.workload`, they mount EBS volumes, which Fargate cannot) all run on the VM
 * hosts, as does the installer itself: no Fargate profile or other node pool is needed.
 */
export class KubeVirtInstallChart extends Chart {
  /** Name of the installer Job (changes whenever what it installs changes). */
  public readonly jobName: string;
  /** The KubeVirt custom resource the Job applies (rendered JSON, for inspection). */
  public readonly kubevirtResource: Record<string, unknown>;
  /** The CDI custom resource the Job applies (rendered JSON, for inspection). */
  public readonly cdiResource: Record<string, unknown>;
  /** The installer Job. */
  public readonly job: k8s.KubeJob;
  /** The StorageClass of user disks. */
  public readonly userDiskStorageClass: k8s.KubeStorageClass;

  constructor(scope: Construct, id: string, props: KubeVirtInstallChartProps) {
    super(scope, id);
    const ns = props.installerNamespace;
    const name = 'kubevirt-installer';
    const labels = { [APP_NAME_LABEL]: name, [APP_PART_OF_LABEL]: 'windows-desktops' };

    // The custom resources, from the typed bindings. Applied by the Job: their CRDs only
    // exist once the operator manifests are in.
    const featureGates = props.featureGates ?? [];
    this.kubevirtResource = kubevirt.KubeVirt.manifest({
      metadata: { name: KUBEVIRT_CR_NAME, namespace: KUBEVIRT_NAMESPACE },
      spec: {
        imagePullPolicy: kubevirt.V1KubeVirtSpecImagePullPolicy.IF_NOT_PRESENT,
        // virt-api, virt-controller (infra) and virt-handler (workloads) on the VM hosts.
        // virt-handler must run on every host that can run a desktop, including hosts
        // dedicated to one user (tainted `dedicated-user[=<user>]:NoSchedule`): it tolerates
        // that key whatever its value.
        infra: { nodePlacement: kubevirtNodePlacement(props.placement) },
        workloads: { nodePlacement: kubevirtNodePlacement(everyDesktopHost(props.placement)) },
        configuration: {
          // Persistent TPM and EFI state (GA) lives in a PVC of this class; unset, KubeVirt
          // uses the default class with ReadWriteOnce (set, it would ask for ReadWriteMany).
          vmStateStorageClass: props.vmStateStorageClass,
          developerConfiguration: {
            // Never fall back to software emulation: without /dev/kvm a VM must not start.
            useEmulation: false,
            featureGates: featureGates.length > 0 ? [...featureGates] : undefined,
          },
        },
        // Refuse to uninstall while VMs exist (a deleted CR would stop every desktop).
        uninstallStrategy: 'BlockUninstallIfWorkloadsExist',
      },
    }) as Record<string, unknown>;
    this.cdiResource = cdi.Cdi.manifest({
      metadata: { name: CDI_CR_NAME },
      spec: {
        imagePullPolicy: cdi.V1Beta1CdiSpecImagePullPolicy.IF_NOT_PRESENT,
        infra: cdiNodePlacement(props.placement),
        // Importer, uploader and cloner pods mount EBS volumes: EC2 VM hosts, never Fargate.
        // A desktop's root disk binds on its first consumer (the desktop on a host dedicated
        // to its user), so they must be able to follow it there.
        workload: cdiNodePlacement(everyDesktopHost(props.placement)),
        uninstallStrategy: 'BlockUninstallIfWorkloadsExist',
      },
    }) as Record<string, unknown>;
    // Strategic-merge patch that moves an operator Deployment onto the VM hosts (the release
    // manifests give them no placement, and this platform has no untainted Linux nodes).
    const operatorPlacement: OperatorPlacementPatch = {
      spec: { template: { spec: { nodeSelector: { ...props.placement.nodeSelector }, tolerations: coreTolerations(props.placement) } } },
    };

    const config: Record<string, string> = {
      'kubevirt.json': JSON.stringify(this.kubevirtResource, undefined, 2),
      'cdi.json': JSON.stringify(this.cdiResource, undefined, 2),
      'operator-placement.json': JSON.stringify(operatorPlacement, undefined, 2),
    };

    const kubevirtUrl = kubevirtOperatorManifestUrl(props.kubevirtVersion);
    const cdiUrl = cdiOperatorManifestUrl(props.cdiVersion);
    const apply = (file: string) => ['apply', '--server-side', '--force-conflicts', '--field-manager=windows-desktops-installer', '-f', file];
    const patchPlacement = (namespace: string, deployment: string) =>
      ['patch', 'deployment', deployment, '-n', namespace, '--type=strategic', `--patch-file=${CONFIG_MOUNT}/operator-placement.json`];
    const steps: InstallStep[] = [
      { name: 'apply-kubevirt-operator', args: apply(kubevirtUrl) },
      { name: 'apply-cdi-operator', args: apply(cdiUrl) },
      { name: 'place-kubevirt-operator', args: patchPlacement(KUBEVIRT_NAMESPACE, 'virt-operator') },
      { name: 'place-cdi-operator', args: patchPlacement(CDI_NAMESPACE, 'cdi-operator') },
      { name: 'wait-crds', args: ['wait', '--for=condition=Established', '--timeout=10m', 'crd/kubevirts.kubevirt.io', `crd/${CDI_CRD_NAME}`] },
      { name: 'apply-custom-resources', args: [...apply(`${CONFIG_MOUNT}/kubevirt.json`), '-f', `${CONFIG_MOUNT}/cdi.json`] },
      { name: 'wait-kubevirt', args: ['wait', '--for=condition=Available', '--timeout=30m', '-n', KUBEVIRT_NAMESPACE, `kubevirts.kubevirt.io/${KUBEVIRT_CR_NAME}`] },
      { name: 'wait-cdi', args: ['wait', '--for=condition=Available', '--timeout=30m', `cdis.cdi.kubevirt.io/${CDI_CR_NAME}`] },
      // The binding grants escalate/bind cluster-wide: once the install is done, the Job
      // removes it, so the rights do not outlive it. A changed install re-applies the binding
      // together with its new Job.
      { name: 'revoke-installer-rights', args: ['delete', 'clusterrolebinding', name, '--ignore-not-found'] },
    ];
    this.jobName = `${name}-${contentHash({ kubevirtUrl, cdiUrl, image: props.installerImage, config, steps })}`;

    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: ns,
        labels: {
          ...labels,
          // The installer pod meets the restricted Pod Security Standard; enforce it.
          'pod-security.kubernetes.io/enforce': RESTRICTED,
          'pod-security.kubernetes.io/audit': RESTRICTED,
          'pod-security.kubernetes.io/warn': RESTRICTED,
        },
      },
    });

    const serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name, namespace: ns, labels },
    });

    // What the two release manifests create, plus the custom resources and the waits. Creating
    // the operators' ClusterRoles and bindings needs `escalate` and `bind` (RBAC refuses to let
    // an account grant rights it does not hold otherwise), which makes this account as
    // powerful as cluster-admin in effect; it is limited by kind so that a mistake in a step
    // fails instead of touching unrelated objects; its token lives only in the installer pod,
    // and the Job's last step deletes the binding once KubeVirt and CDI are available.
    const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch'];
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name, labels },
      rules: [
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs },
        { apiGroups: [''], resources: ['namespaces', 'serviceaccounts', 'configmaps', 'services'], verbs },
        { apiGroups: ['apps'], resources: ['deployments'], verbs },
        { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], verbs },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'roles'], verbs: [...verbs, 'bind', 'escalate'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings', 'rolebindings'], verbs },
        // Only its own binding, for the last step.
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings'], resourceNames: [name], verbs: ['delete'] },
        { apiGroups: ['kubevirt.io'], resources: ['kubevirts'], verbs },
        { apiGroups: ['cdi.kubevirt.io'], resources: ['cdis'], verbs },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: ns }],
    });

    const configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: `${name}-config`, namespace: ns, labels },
      data: config,
    });

    const container = (step: InstallStep): k8s.Container => ({
      name: step.name,
      image: props.installerImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['kubectl'],
      args: step.args,
      // kubectl caches API discovery under $HOME: a writable emptyDir, read-only root.
      env: [{ name: 'HOME', value: '/tmp' }],
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_MOUNT, readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ],
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      },
      resources: {
        requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('128Mi') },
        limits: { memory: k8s.Quantity.fromString('512Mi') },
      },
    });

    this.job = new k8s.KubeJob(this, 'Job', {
      metadata: { name: this.jobName, namespace: ns, labels },
      spec: {
        // A failed step is retried in place (OnFailure); the whole install gives up after 6
        // retries or 45 minutes, and the finished Job is cleaned up after a day.
        backoffLimit: 6,
        activeDeadlineSeconds: 45 * 60,
        ttlSecondsAfterFinished: 24 * 3600,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: serviceAccount.name,
            restartPolicy: 'OnFailure',
            securityContext: restrictedPodSecurityContext(RUN_AS),
            nodeSelector: { ...props.placement.nodeSelector },
            tolerations: coreTolerations(props.placement),
            initContainers: steps.slice(0, -1).map(container),
            containers: [container(steps[steps.length - 1])],
            volumes: [
              { name: 'config', configMap: { name: configMap.name } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
            ],
          },
        },
      },
    });

    // User disks outlive their VM and even their PVC: the EBS volume is retained when the
    // claim is deleted, and must be deleted on purpose.
    this.userDiskStorageClass = new k8s.KubeStorageClass(this, 'UserDiskStorageClass', {
      metadata: { name: props.userDiskStorageClassName, labels },
      provisioner: 'ebs.csi.aws.com',
      parameters: {
        type: 'gp3',
        encrypted: 'true',
        ...(props.userDiskKmsKeyId !== undefined ? { kmsKeyId: props.userDiskKmsKeyId } : {}),
      },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Retain',
    });
  }
}

/**
 * The placement plus an `Exists` toleration of the per-user taint key (`dedicated-user`, with or
 * without a value): what node agents (virt-handler) and per-disk workers (CDI) need to reach
 * every VM host, shared or dedicated to one user.
 */
export function everyDesktopHost(placement: VmHostPlacement): VmHostPlacement {
  if (placement.toleratedTaints.some((t) => t.key === DEDICATED_USER_TAINT_KEY && t.value === undefined)) return placement;
  return {
    nodeSelector: placement.nodeSelector,
    toleratedTaints: [...placement.toleratedTaints, { key: DEDICATED_USER_TAINT_KEY, effect: TaintEffect.NO_SCHEDULE }],
  };
}

/** The part of a Deployment that the operator placement patch sets. */
interface OperatorPlacementPatch {
  readonly spec: {
    readonly template: {
      readonly spec: {
        readonly nodeSelector: Record<string, string>;
        readonly tolerations: k8s.Toleration[];
      };
    };
  };
}

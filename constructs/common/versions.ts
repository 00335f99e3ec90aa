/**
 * Every pinned upstream version in one place. Checked 2026-11 against the upstream
 * repositories and the EKS add-on tables; bump here, re-run the tests, and update the date.
 *
 * Upstream charts and images are pinned by version only: their digests are not copied (the
 * Karpenter v1.14.1 tag's chart files still say 1.13.0, see UPSTREAM-FACTS).
 */
export const UPSTREAM_VERSIONS_CHECKED = '2026-11';

/** Karpenter Helm charts (controller and CRDs) from `oci://public.ecr.aws/karpenter`. */
export const KARPENTER_VERSION = '1.14.1';
export const KARPENTER_CHART_REPOSITORY = 'oci://public.ecr.aws/karpenter/karpenter';
export const KARPENTER_CRD_CHART_REPOSITORY = 'oci://public.ecr.aws/karpenter/karpenter-crd';

/** Kubernetes version the cluster L3 creates by default (and that the kubectl layer matches). */
export const DEFAULT_KUBERNETES_VERSION = '1.35';

/**
 * EKS managed add-on versions for the default Kubernetes version. `undefined` lets EKS pick
 * its default version for the cluster: used only where no pinned build has been checked.
 */
export const EKS_ADDON_VERSIONS = {
  vpcCni: 'v1.21.1-eksbuild.1',
  coreDns: 'v1.13.2-eksbuild.3',
  kubeProxy: 'v1.35.0-eksbuild.2',
  podIdentityAgent: 'v1.3.10-eksbuild.2',
  ebsCsi: 'v1.57.1-eksbuild.1',
  efsCsi: 'v3.3.0-eksbuild.1',
  mountpointS3Csi: 'v2.0.0-eksbuild.1',
} as const;

/** Windows builds (node label `node.kubernetes.io/windows-build`) and Karpenter AMI aliases. */
export const WINDOWS_BUILDS = {
  '2019': { build: '10.0.17763', amiAlias: 'windows2019@latest' },
  '2022': { build: '10.0.20348', amiAlias: 'windows2022@latest' },
  '2025': { build: '10.0.26100', amiAlias: 'windows2025@latest' },
} as const;

/** Windows Server 2025 nodes need at least this Karpenter and this EKS version. */
export const WINDOWS_2025_MIN_KARPENTER = '1.9.0';
export const WINDOWS_2025_MIN_KUBERNETES = '1.35';

/** EC2 nested virtualization in `EC2NodeClass.spec.cpuOptions` exists from this Karpenter. */
export const NESTED_VIRTUALIZATION_MIN_KARPENTER = '1.13.0';
/** First Karpenter with `NodeOverlay` (karpenter.sh/v1alpha1, feature gate `nodeOverlay`), checked in the v1.7.0 chart and CRDs. */
export const NODE_OVERLAY_MIN_KARPENTER = '1.7.0';
/** First Karpenter with the `karpenter.k8s.aws/instance-tenancy` requirement (Dedicated Instances), checked in v1.9.0 pkg/apis/v1/labels.go. */
export const DEDICATED_TENANCY_MIN_KARPENTER = '1.9.0';

/**
 * KubeVirt and CDI, installed at deploy time from the operator manifests of these GitHub
 * releases (which pin their own images); the typed bindings in `constructs/imports` were
 * generated from the same releases' OpenAPI (`scripts/import-kubevirt.ts`).
 */
export const KUBEVIRT_VERSION = '1.9.0';
export const CDI_VERSION = '1.66.0';
/** Oldest releases whose API the KubeVirt constructs write (persistent TPM/EFI state is GA from 1.6). */
export const KUBEVIRT_MIN_VERSION = '1.9.0';
export const CDI_MIN_VERSION = '1.66.0';

/**
 * kubectl image of the deploy-time installer Jobs: the Kubernetes project's own image, same
 * minor version as the default cluster (kubectl supports one minor version of skew).
 */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.35.0';

/**
 * Pause image of the warm-capacity placeholder pods. Its manifest list has Windows images for
 * the LTSC builds; Windows Server 2025 (10.0.26100) images exist only from 3.10.2.
 */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10.2';
/** Oldest pause release with a Windows Server 2025 image. */
export const PAUSE_WINDOWS_2025_MIN_VERSION = '3.10.2';

/**
 * Apache Guacamole images (Docker Hub). 1.6.x reads `POSTGRESQL_*` / `HTTP_AUTH_*` variables and
 * prints its schema with `initdb.sh --postgresql`. guacd runs as UID 1000, the web app as 1001.
 */
export const GUACAMOLE_VERSION = '1.6.0';
export const GUACAMOLE_IMAGE = `guacamole/guacamole:${GUACAMOLE_VERSION}`;
export const GUACD_IMAGE = `guacamole/guacd:${GUACAMOLE_VERSION}`;
/**
 * AWS CLI v2 image (public ECR) that fetches the database master secret for the schema Job
 * only, through IRSA, so the master credentials never become a long-lived Kubernetes Secret.
 */
export const AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.22.0';
/** PostgreSQL client that applies the Guacamole schema (psql ≥ 15 for `\getenv`). */
export const POSTGRES_CLIENT_IMAGE = 'postgres:17.6-alpine';
/** External Secrets Operator Helm chart (serves `external-secrets.io/v1`). */
export const EXTERNAL_SECRETS_CHART_VERSION = '2.10.0';
export const EXTERNAL_SECRETS_CHART_REPOSITORY = 'https://charts.external-secrets.io';

/**
 * Base image of HostProcess containers (node-desktop session pods): an almost empty image that
 * runs on every Windows Server build, because a HostProcess container runs the host's own
 * binaries (`powershell.exe`).
 * @see https://github.com/microsoft/windows-host-process-containers-base-image
 */
export const HOST_PROCESS_IMAGE = 'mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0';

/**
 * cert-manager Helm chart (jetstack repository; chart versions carry the `v`). Its webhook's
 * `webhook.securePort` defaults to 10250, the Fargate kubelet's port (values.yaml at the tag).
 * The typed bindings `constructs/imports/cert-manager.io.ts` were generated with `cdk8s import`
 * from the same tag's `deploy/crds/cert-manager.io_certificates.yaml` and
 * `cert-manager.io_clusterissuers.yaml`.
 */
export const CERT_MANAGER_VERSION = 'v1.20.3';
export const CERT_MANAGER_CHART_REPOSITORY = 'https://charts.jetstack.io';

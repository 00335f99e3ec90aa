import { Yaml } from 'cdk8s';
import { KubernetesObjectJson } from '../desktop-user-isolation';
import { Shard } from './delivery';

/** What the layout needs to know about the engine and the repository. */
export interface GitOpsLayoutOptions {
  readonly engine: 'argo-cd' | 'flux';
  /** Name prefix of Applications / Kustomizations. */
  readonly name: string;
  readonly repositoryUrl: string;
  readonly revision: string;
  /** Path of the layout inside the repository, without leading or trailing `/`. */
  readonly path: string;
  readonly argoCdNamespace: string;
  readonly argoCdProject: string;
  readonly fluxNamespace: string;
  readonly fluxSourceName: string;
}

/** Directory name of a shard: fixed width, so that directories sort in order. */
export function shardDirectory(index: number): string {
  return `shard-${String(index).padStart(4, '0')}`;
}

/**
 * The files of the GitOps layout, by path relative to the output directory:
 *
 * - `shards/shard-NNNN/<user>.yaml`: every object of one user (YAML stream, namespace first);
 * - `shards/shard-NNNN/kustomization.yaml`: a kustomize `Kustomization` listing them, which
 *   Argo CD and Flux both build;
 * - Argo CD: `argocd/applicationset.yaml`, an ApplicationSet whose git directory generator
 *   makes one Application per shard directory;
 * - Flux: `flux/kustomizations.yaml`, one Flux `Kustomization` per shard.
 *
 * Written with cdk8s' YAML serializer from plain objects: never YAML in strings.
 */
export function renderGitOpsFiles(shards: readonly Shard[], options: GitOpsLayoutOptions): Map<string, string> {
  const files = new Map<string, string>();
  for (const shard of shards) {
    const dir = `shards/${shardDirectory(shard.index)}`;
    const resources: string[] = [];
    for (const group of shard.groups) {
      const file = `${group.key}.yaml`;
      files.set(`${dir}/${file}`, Yaml.stringify(...group.objects));
      resources.push(file);
    }
    files.set(`${dir}/kustomization.yaml`, Yaml.stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources,
    }));
  }
  if (options.engine === 'argo-cd') {
    files.set('argocd/applicationset.yaml', Yaml.stringify(argoCdApplicationSet(options)));
  } else {
    files.set('flux/kustomizations.yaml', Yaml.stringify(...shards.map((s) => fluxKustomization(s.index, options))));
  }
  return files;
}

function argoCdApplicationSet(o: GitOpsLayoutOptions): KubernetesObjectJson {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: o.name, namespace: o.argoCdNamespace },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ git: { repoURL: o.repositoryUrl, revision: o.revision, directories: [{ path: `${o.path}/shards/*` }] } }],
      template: {
        metadata: { name: `${o.name}-{{.path.basename}}` },
        spec: {
          project: o.argoCdProject,
          source: { repoURL: o.repositoryUrl, targetRevision: o.revision, path: '{{.path.path}}' },
          destination: { server: 'https://kubernetes.default.svc' },
          syncPolicy: {
            // A user removed from the list loses their namespace; a shard never moves users.
            automated: { prune: true, selfHeal: true },
            // Namespaces first, then what lives in them; server-side apply for large objects.
            syncOptions: ['ServerSideApply=true'],
          },
        },
      },
    },
  };
}

function fluxKustomization(index: number, o: GitOpsLayoutOptions): KubernetesObjectJson {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: `${o.name}-${shardDirectory(index)}`, namespace: o.fluxNamespace },
    spec: {
      interval: '10m',
      retryInterval: '1m',
      path: `./${o.path}/shards/${shardDirectory(index)}`,
      prune: true,
      sourceRef: { kind: 'GitRepository', name: o.fluxSourceName },
      timeout: '5m',
    },
  };
}

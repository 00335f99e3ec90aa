import { KubernetesObject } from '../support/kubernetes-schemas';

export { FakeKarpenter, stackWithV1Cluster, stackWithV2Cluster } from '../support/eks-fixtures';


/** Objects of one kind. */
export function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** A sample id that matches the EC2NodeClass pattern `sg-[0-9a-z]+`. */
export const SAMPLE_SECURITY_GROUP_ID = 'sg-0123456789abcdef0';

/**
 * Replaces the deploy-time id of the security group selector term (a token at synth time,
 * `TOKEN` once extracted from a template) with a sample id, so that the rest of the
 * EC2NodeClass can be checked against its schema. Callers first assert that the value was
 * the expected deploy-time reference.
 */
export function withSampleSecurityGroupId(objects: readonly KubernetesObject[], deployTimeId: string): KubernetesObject[] {
  return objects.map((o) => {
    if (o.kind !== 'EC2NodeClass') return o;
    const spec = o.spec as { securityGroupSelectorTerms: Array<{ id?: string }> };
    return {
      ...o,
      spec: {
        ...spec,
        securityGroupSelectorTerms: spec.securityGroupSelectorTerms.map((t) => (t.id === deployTimeId ? { ...t, id: SAMPLE_SECURITY_GROUP_ID } : t)),
      },
    };
  });
}

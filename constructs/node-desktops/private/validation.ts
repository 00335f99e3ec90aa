import { Token } from 'aws-cdk-lib';
import { kubernetesNameForUser } from '../../common/kubernetes-name';
import { describeValue, validateNonEmpty } from '../../common/validate';
import { ValidationError } from '../../common/validation-error';
import { NodeDesktopIsolationMode } from '../node-desktop-isolation';
import { NodeDesktopUser } from '../node-desktop-user';

/** Most users with a NodePool each (Karpenter is not tested with thousands: aws/karpenter-provider-aws#5228). */
export const MAX_PER_USER_POOLS = 500;

/** Fails unless every entry is an x86-64 EC2 instance type name. */
export function validateInstanceTypes(prop: string, instanceTypes: string[]): void {
  if (!Array.isArray(instanceTypes)) {
    throw new ValidationError(prop, `is ${describeValue(instanceTypes)}; give a list of EC2 instance types, e.g. ['m7i.large'].`);
  }
  validateNonEmpty(prop, instanceTypes, "give at least one EC2 instance type, e.g. ['m7i.large'].");
  instanceTypes.forEach((type, i) => {
    if (typeof type !== 'string' || !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(type)) {
      throw new ValidationError(`${prop}[${i}]`, `is ${describeValue(type)}; give an EC2 instance type such as 'm7i.large'.`);
    }
    // Graviton families carry a 'g' after the generation (m7g, c7gn, r6gd, t4g); a1 is Arm too.
    if (/^(a1|[a-z]+\d+[a-z-]*g[a-z-]*)$/.test(type.split('.')[0])) {
      throw new ValidationError(`${prop}[${i}]`, `'${type}' is a Graviton (Arm) type; Windows desktops need x86-64, e.g. 'm7i.large'.`);
    }
  });
}

/**
 * Fails on users that are no list, unmappable or duplicate ids (also after mapping), per-user
 * instance types with the shared pool, and too many per-user pools. Returns id → Kubernetes name.
 */
export function validateUsers(prop: string, users: NodeDesktopUser[], mode: NodeDesktopIsolationMode): Map<string, string> {
  if (!Array.isArray(users)) {
    throw new ValidationError(prop, `is ${describeValue(users)}; give a list of users, e.g. [{ userId: 'alice@example.com' }].`);
  }
  if (mode === NodeDesktopIsolationMode.NODE_POOL_PER_USER && users.length > MAX_PER_USER_POOLS) {
    throw new ValidationError(prop, `lists ${users.length} users, each with a NodePool; Karpenter is not tested with that many NodePools (aws/karpenter-provider-aws#5228). Use NodeDesktopIsolation.sharedPool() above ${MAX_PER_USER_POOLS} users.`);
  }
  const names = new Map<string, string>();
  const byName = new Map<string, string>();
  users.forEach((user, i) => {
    const userName = kubernetesNameForUser(`${prop}[${i}].userId`, user?.userId);
    if (names.has(user.userId)) {
      throw new ValidationError(`${prop}[${i}].userId`, `"${user.userId}" is listed twice; list each user once.`);
    }
    const other = byName.get(userName);
    if (other !== undefined) {
      throw new ValidationError(`${prop}[${i}].userId`, `"${user.userId}" maps to the same Kubernetes name as "${other}" (${userName}); rename one of the users.`);
    }
    if (user.instanceTypes !== undefined) {
      if (mode !== NodeDesktopIsolationMode.NODE_POOL_PER_USER) {
        throw new ValidationError(`${prop}[${i}].instanceTypes`, 'is set, but with the shared pool every desktop has the pool\'s instance types; set `instanceTypes` on NodeDesktops, or use NodeDesktopIsolation.nodePoolPerUser().');
      }
      validateInstanceTypes(`${prop}[${i}].instanceTypes`, user.instanceTypes);
    }
    names.set(user.userId, userName);
    byName.set(userName, user.userId);
  });
  return names;
}

/** Fails unless `cidr` is an IPv4 CIDR (deploy-time values pass). */
export function validateCidr(prop: string, cidr: string): void {
  if (typeof cidr === 'string' && Token.isUnresolved(cidr)) return;
  const m = typeof cidr === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr) : null;
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    throw new ValidationError(prop, `${describeValue(cidr)} is not an IPv4 CIDR; use e.g. "10.0.0.0/24".`);
  }
}

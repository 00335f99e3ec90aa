import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ValidationError } from './validation-error';

/**
 * One registry per owner (an EKS cluster, a cdk8s app) of the names that must be unique in it:
 * two NodePools named `windows-2022`, two VPC CNI add-ons or two desktops with one name in one
 * namespace would each synthesize, and at deploy time one would silently replace the other.
 * Claims are made while the constructs are built, so the error names both constructs.
 */
const REGISTRIES = new WeakMap<IConstruct, Map<string, IConstruct>>();

/**
 * Claims `key` of `kind` in `owner` for `claimant`; fails when another construct holds it.
 *
 * @param prop  the prop of `claimant` that carries the key, e.g. `WindowsNodePool.name`
 * @param fix  how to make them distinct
 */
export function claimUnique(owner: IConstruct, kind: string, key: string, claimant: IConstruct, prop: string, fix: string): void {
  if (Token.isUnresolved(key)) return;
  let registry = REGISTRIES.get(owner);
  if (registry === undefined) {
    registry = new Map();
    REGISTRIES.set(owner, registry);
  }
  const id = `${kind}\u0000${key}`;
  const holder = registry.get(id);
  if (holder !== undefined && holder !== claimant) {
    throw new ValidationError(prop, `${kind} ${key === '' ? '' : `"${key}" `}is already defined by ${holder.node.path} (in ${owner.node.path || 'the same app'}). ${fix}`, claimant);
  }
  registry.set(id, claimant);
}

/** The construct that holds `key` of `kind` in `owner`, if any. */
export function uniqueHolder(owner: IConstruct, kind: string, key: string): IConstruct | undefined {
  return REGISTRIES.get(owner)?.get(`${kind}\u0000${key}`);
}

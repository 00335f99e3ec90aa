import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Prefix of every warning id of this library (acknowledge them with `Annotations.acknowledgeWarning`). */
export const WARNING_ID_PREFIX = 'eks-windows-desktops';

/**
 * Adds a synth-time warning to `scope` with the id `eks-windows-desktops:<name>`: one prefix for
 * every soft problem the library reports, so that they can be found and acknowledged together.
 */
export function addWarning(scope: IConstruct, name: string, message: string): void {
  Annotations.of(scope).addWarningV2(`${WARNING_ID_PREFIX}:${name}`, message);
}

import { Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import { ValidationError } from '../../common/validation-error';

/**
 * Whole GiB of `size`. Kubernetes quantities are written at synth time, so deploy-time sizes
 * and fractions of a GiB are refused with a message naming the prop.
 */
export function wholeGibibytes(prop: string, size: Size, example: string): number {
  if (size.isUnresolved()) {
    throw new ValidationError(prop, `is a deploy-time value; give a size known at synth time (e.g. ${example}).`);
  }
  const gib = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(gib)) {
    throw new ValidationError(prop, `is ${gib} GiB; give whole GiB (e.g. ${example}).`);
  }
  return gib;
}

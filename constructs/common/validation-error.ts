/**
 * Raised at synth time when a prop is invalid.
 *
 * aws-cdk-lib's own `ValidationError` is internal, so the library has its own. Every message
 * names the prop, the value received and what is allowed, so the error can be fixed without
 * reading the source.
 */
export class ValidationError extends Error {
  /**
   * @param prop  dotted path of the offending prop, e.g. `WindowsNodePool.limits.cpu`
   * @param message  what is wrong and how to fix it
   */
  constructor(public readonly prop: string, message: string) {
    super(`${prop}: ${message}`);
    this.name = 'ValidationError';
  }
}

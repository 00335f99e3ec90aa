import { IConstruct } from 'constructs';

/**
 * Raised at synth time when a prop is invalid.
 *
 * aws-cdk-lib's own `ValidationError` is internal, so the library has its own. Every message
 * names the construct path (when the error is raised inside a construct), the prop, the value
 * received and what is allowed, so the error can be fixed without reading the source.
 */
export class ValidationError extends Error {
  /** Path of the construct whose props are wrong (`node.path`), when known. */
  public readonly constructPath?: string;

  /**
   * @param prop  dotted path of the offending prop, e.g. `WindowsNodePool.limits.cpu`
   * @param message  what is wrong and how to fix it
   * @param scope  the construct whose props are wrong; its path starts the message
   */
  constructor(public readonly prop: string, public readonly detail: string, scope?: IConstruct) {
    const constructPath = scope?.node.path;
    super(constructPath ? `${constructPath}: ${prop}: ${detail}` : `${prop}: ${detail}`);
    this.name = 'ValidationError';
    this.constructPath = constructPath;
  }

  /**
   * Runs `check` and gives any `ValidationError` it throws without a construct path the path
   * of `scope`. Lets plain validation functions (which know no construct) report where the bad
   * value was given.
   */
  public static within<T>(scope: IConstruct, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof ValidationError && error.constructPath === undefined) {
        throw new ValidationError(error.prop, error.detail, scope);
      }
      throw error;
    }
  }
}

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

/**
 * Class decorator for every public construct: a `ValidationError` thrown while the construct
 * is built (by its constructor or by the plain validators it calls) gets the construct's path,
 * e.g. `WindowsDesktops/Desktops/Karpenter/Windows2022: WindowsNodePool.name: ...`.
 *
 * Written as a decorator rather than a `try` around each constructor body so that every
 * construct reports its path the same way without re-indenting its constructor. The class is
 * wrapped in a `Proxy` whose `construct` trap only adds the path: `instanceof`, static members
 * and subclasses behave as before. The innermost decorated construct wins, so an error raised
 * by a child construct names the child.
 */
export function reportsConstructPath<T extends Function>(target: T): T {
  return new Proxy(target, {
    construct(cls: T, args: unknown[], newTarget: Function): object {
      try {
        return Reflect.construct(cls, args, newTarget);
      } catch (error) {
        if (error instanceof ValidationError && error.constructPath === undefined) {
          const failed = constructBeingBuilt(args[0], args[1]);
          if (failed !== undefined) throw new ValidationError(error.prop, error.detail, failed);
        }
        throw error;
      }
    },
  });
}

/** The construct `new X(scope, id, ...)` added to the tree before it threw, if any. */
function constructBeingBuilt(scope: unknown, id: unknown): IConstruct | undefined {
  if (typeof id !== 'string' || typeof scope !== 'object' || scope === null || !('node' in scope)) return undefined;
  const node = (scope as IConstruct).node;
  return typeof node?.tryFindChild === 'function' ? node.tryFindChild(id) : undefined;
}

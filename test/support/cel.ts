/**
 * Runs the CEL rules of a CRD schema level (`x-kubernetes-validations`) on a value with a real
 * CEL evaluator (@marcbachmann/cel-js), as the API server runs them on create. The fake API
 * server does not evaluate CEL; tests of a CRD's rules call this.
 *
 * Differences from the API server kept in mind: transition rules (those that read `oldSelf`)
 * are skipped (they run on update only); whole numbers are handed to CEL as `int` (the API
 * server does so for `type: integer` fields), other numbers as `double`; no cost budget.
 */

/** One rule as a CRD writes it. */
export interface CelRule {
  readonly rule: string;
  readonly message?: string;
}

type CelModule = { evaluate(expression: string, context?: Record<string, unknown>): unknown };

// A real dynamic import(): the evaluator is an ES module and the tests compile to CommonJS (see constructs/sessions/runtime/client-node.ts).
const importModule = new Function('specifier', `return import(specifier); // ${process.hrtime.bigint()}`) as (specifier: string) => Promise<unknown>;

/** JSON as CEL sees a value of a structural schema: whole numbers are ints. */
function toCel(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

/**
 * The messages (or rule texts, for rules without one) of the rules `self` breaks, in order;
 * empty when it keeps them all. A rule that fails to evaluate counts as broken, with the error.
 */
export async function celViolations(rules: readonly CelRule[], self: unknown): Promise<string[]> {
  const cel = await importModule('@marcbachmann/cel-js') as CelModule;
  const out: string[] = [];
  for (const r of rules) {
    if (/\boldSelf\b/.test(r.rule)) continue;
    let result: unknown;
    try {
      result = cel.evaluate(r.rule, { self: toCel(self) });
    } catch (error) {
      out.push(`${r.rule}: ${(error as Error).message}`);
      continue;
    }
    if (result !== true) out.push(r.message ?? r.rule);
  }
  return out;
}

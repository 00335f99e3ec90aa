/**
 * Runs the CEL rules of a CRD schema level (`x-kubernetes-validations`) on a value with a real
 * CEL evaluator (@marcbachmann/cel-js), as the API server runs them on create. The fake API
 * server does not evaluate CEL; tests of a CRD's rules call this.
 *
 * Differences from the API server kept in mind: `celViolations` skips transition rules (those
 * that read `oldSelf`; they run on update only), `celTransitionViolations` runs every rule as an
 * update does; whole numbers are handed to CEL as `int` (the API
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

async function celModule(): Promise<CelModule> {
  return await importModule('@marcbachmann/cel-js') as CelModule;
}

/** Runs `rules` with `variables`; messages of the broken ones (errors count as broken). */
function violations(cel: CelModule, rules: readonly CelRule[], variables: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const r of rules) {
    let result: unknown;
    try {
      result = cel.evaluate(r.rule, variables);
    } catch (error) {
      out.push(`${r.rule}: ${(error as Error).message}`);
      continue;
    }
    if (result !== true) out.push(r.message ?? r.rule);
  }
  return out;
}

/**
 * The messages (or rule texts, for rules without one) of the rules `self` breaks, in order;
 * empty when it keeps them all. A rule that fails to evaluate counts as broken, with the error.
 * Transition rules (reading `oldSelf`) are skipped, as on create.
 */
export async function celViolations(rules: readonly CelRule[], self: unknown): Promise<string[]> {
  return violations(await celModule(), rules.filter((r) => !/\boldSelf\b/.test(r.rule)), { self: toCel(self) });
}

/**
 * As `celViolations`, for an update from `oldSelf` to `self`: every rule runs, transition rules
 * included (the API server runs a transition rule when the old value exists, as here).
 */
export async function celTransitionViolations(rules: readonly CelRule[], oldSelf: unknown, self: unknown): Promise<string[]> {
  return violations(await celModule(), rules, { self: toCel(self), oldSelf: toCel(oldSelf) });
}

/** The parts of a `ValidatingAdmissionPolicy` spec that `admissionPolicyDecision` evaluates. */
export interface AdmissionPolicySpec {
  readonly matchConstraints: { readonly resourceRules: ReadonlyArray<{ readonly apiGroups: readonly string[]; readonly resources: readonly string[]; readonly operations: readonly string[] }> };
  readonly matchConditions?: ReadonlyArray<{ readonly name: string; readonly expression: string }>;
  readonly validations: ReadonlyArray<{ readonly expression: string; readonly message?: string }>;
}

/** One admission request as a policy sees it. */
export interface AdmissionRequestView {
  readonly group: string;
  readonly resource: string;
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly username: string;
  readonly object: unknown;
  readonly oldObject?: unknown;
}

/**
 * What the API server does with a `ValidatingAdmissionPolicy` (no params, no variables) on a
 * request: `matched` false when its resource rules or match conditions leave the request out;
 * otherwise the messages of the validations it fails (an evaluation error fails, as with
 * `failurePolicy: Fail`). No namespace or object selectors, no cost budget, no type checking
 * against the resource's schema (the API server checks expressions when the policy is created).
 */
export async function admissionPolicyDecision(spec: AdmissionPolicySpec, request: AdmissionRequestView): Promise<{ matched: boolean; violations: string[] }> {
  const cel = await celModule();
  const ruleMatches = spec.matchConstraints.resourceRules.some((r) => r.apiGroups.includes(request.group)
    && r.resources.includes(request.resource) && (r.operations.includes(request.operation) || r.operations.includes('*')));
  if (!ruleMatches) return { matched: false, violations: [] };
  const variables = {
    object: toCel(request.object),
    oldObject: request.oldObject === undefined ? null : toCel(request.oldObject),
    request: { operation: request.operation, userInfo: { username: request.username }, resource: { group: request.group, resource: request.resource } },
  };
  for (const condition of spec.matchConditions ?? []) {
    // An error in a match condition is a failure (failurePolicy Fail) rather than a skip.
    const result = cel.evaluate(condition.expression, variables);
    if (result !== true) return { matched: false, violations: [] };
  }
  return { matched: true, violations: violations(cel, spec.validations.map((v) => ({ rule: v.expression, message: v.message })), variables) };
}

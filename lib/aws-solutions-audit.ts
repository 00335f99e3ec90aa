import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/**
 * cdk-nag's AwsSolutions pack, honouring rule-level acknowledgments for rules that report one
 * finding per permission (IAM4, IAM5).
 *
 * cdk-nag 3 accepts an acknowledgment of such a rule only per finding
 * (`AwsSolutions-IAM5[Resource::arn:...]`), and those ids embed region-specific ARNs. The
 * constructs of this library instead acknowledge `AwsSolutions-IAM5` with a reason on the
 * construct whose permissions are upstream's by design (Karpenter's controller policy, the
 * AWS Load Balancer Controller policy); this plugin drops the findings under such a construct.
 * Findings anywhere else still fail synthesis. (aws-cdk-lib applies acknowledgments of
 * single-finding rules itself during synthesis; this plugin applies them too, so that calling
 * `validate` directly, as the tests do, gives the same answer.)
 */
export class AwsSolutionsAudit implements IPolicyValidationPlugin {
  public readonly name = 'AwsSolutions';
  private readonly checks = new AwsSolutionsChecks();

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.checks.validate(context);
    const app = (context as IPolicyValidationContext & { readonly appConstruct?: IConstruct }).appConstruct;
    if (!app) return report;
    const byPath = new Map(app.node.findAll().map((c) => [c.node.path, c]));
    const violations = report.violations
      .map((violation) => {
        const rule = violation.ruleName.replace(/\[.*\]$/, '');
        const violatingResources = violation.violatingResources.filter((r) => !acknowledgedOnAncestor(byPath.get(r.constructPath ?? ''), rule));
        return { ...violation, violatingResources };
      })
      .filter((violation) => violation.violatingResources.length > 0);
    return { success: violations.length === 0, violations };
  }
}

function acknowledgedOnAncestor(construct: IConstruct | undefined, rule: string): boolean {
  for (let current = construct; current; current = current.node.scope) {
    for (const entry of current.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      const ids = Object.keys(entry.data as Record<string, string>).map((k) => k.replace(/^[A-Za-z]+::/, ''));
      if (ids.includes(rule)) return true;
    }
  }
  return false;
}

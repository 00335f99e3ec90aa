import { CfnElement, IPolicyValidationContext, PolicyValidationPluginReport, Stack, Stage, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { CONTROL_TOWER_PLUGIN } from '../../constructs/common/acknowledge';

/** One Control Tower finding left after acknowledgments. */
export interface ControlTowerFinding {
  readonly rule: string;
  readonly logicalId: string;
  readonly constructPath?: string;
}

/** What the audit found: open findings, and acknowledged ones with their reasons. */
export interface ControlTowerReport {
  readonly open: ControlTowerFinding[];
  /**
   * Rules with a finding the plugin could not attribute to a resource (its parser of
   * cfn-guard's output sometimes yields an entry without a path next to the attributed ones).
   */
  readonly unattributed: string[];
  readonly acknowledged: Array<ControlTowerFinding & { readonly reason: string }>;
  /** Number of Control Tower rules cfn-guard evaluated. */
  readonly rulesChecked: number;
}

/**
 * Runs AWS Control Tower's proactive controls (the cfn-guard rules shipped in
 * `@cdklabs/cdk-validator-cfnguard`, with its bundled cfn-guard binary) over the synthesized
 * templates of `app`, and drops the findings acknowledged with a reason on the violating
 * construct or an ancestor (`acknowledgeControlTower`). aws-cdk-lib applies such
 * acknowledgments rule-wide when the plugin runs during synthesis; here they hold only for the
 * construct they were written on, so a finding elsewhere stays open.
 */
export function runControlTowerAudit(app: Stage): ControlTowerReport {
  const assembly = app.synth();
  const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
  // Nested stacks are no artifacts of their own: their templates sit beside the parent's.
  const templatePath = (s: Stack) => (s.nested ? path.join(assembly.directory, s.templateFile) : assembly.getStackArtifact(s.artifactId).templateFullPath);
  const templatePaths = stacks.map(templatePath);
  const validator = new CfnGuardValidator({});
  const context: IPolicyValidationContext = { templatePaths, appConstruct: app } as IPolicyValidationContext;
  const report: PolicyValidationPluginReport = validator.validate(context);

  // Logical id → construct, per template.
  const byTemplate = new Map<string, Map<string, IConstruct>>();
  for (const stack of stacks) {
    const ids = new Map<string, IConstruct>();
    for (const c of stack.node.findAll()) {
      if (CfnElement.isCfnElement(c) && Stack.of(c) === stack) ids.set(stack.resolve(c.logicalId) as string, c);
    }
    byTemplate.set(templatePath(stack), ids);
  }

  const open: ControlTowerFinding[] = [];
  const unattributed: string[] = [];
  const acknowledged: Array<ControlTowerFinding & { reason: string }> = [];
  for (const violation of report.violations) {
    for (const resource of violation.violatingResources) {
      if (resource.resourceLogicalId === undefined || resource.resourceLogicalId === '') {
        unattributed.push(violation.ruleName);
        continue;
      }
      const construct = byTemplate.get(resource.templatePath ?? '')?.get(resource.resourceLogicalId ?? '');
      const finding = { rule: violation.ruleName, logicalId: resource.resourceLogicalId ?? '(none)', constructPath: construct?.node.path };
      const reason = construct ? acknowledgment(construct, violation.ruleName) : undefined;
      if (reason !== undefined) acknowledged.push({ ...finding, reason });
      else open.push(finding);
    }
  }
  return { open, unattributed, acknowledged, rulesChecked: validator.ruleIds?.length ?? 0 };
}

function acknowledgment(construct: IConstruct, rule: string): string | undefined {
  const id = `${CONTROL_TOWER_PLUGIN}::${rule}`;
  for (let current: IConstruct | undefined = construct; current; current = current.node.scope) {
    for (const entry of current.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      const reason = (entry.data as Record<string, string>)[id];
      if (reason !== undefined) return reason;
    }
  }
  return undefined;
}

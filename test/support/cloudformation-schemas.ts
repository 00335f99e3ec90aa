import * as fs from 'fs';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, SpecDatabase } from '@aws-cdk/service-spec-types';
import * as path from 'path';
import { REFERENCE_DIR, referencePath } from './reference';

/**
 * Checks synthesized CloudFormation resources against the CloudFormation registry schemas in
 * `../shared/reference` (terraform-provider-awscc's copy first, then cfn-lint's).
 *
 * A structural check, written by hand because no maintained npm package validates templates
 * against registry schemas offline: unknown properties (where the schema forbids them),
 * missing required properties, read-only properties set, and literal values outside an enum.
 * Values that are intrinsic functions (`Ref`, `Fn::*`) are deploy-time values and are skipped.
 */

type Schema = Record<string, unknown>;

interface RegistrySchema extends Schema {
  readonly definitions?: Record<string, Schema>;
  readonly readOnlyProperties?: string[];
}

const AWSCC_DIR = path.join(REFERENCE_DIR, 'terraform-provider-awscc', 'v1.97.0-f995d4f4', 'internal', 'service', 'cloudformation', 'schemas');
const CFN_LINT_DIR = path.join(REFERENCE_DIR, 'cfn-lint', 'v1.51.5', 'src', 'cfnlint', 'data', 'schemas', 'providers', 'us_east_1');

const cache = new Map<string, RegistrySchema | undefined>();

/** The registry schema of a resource type, or undefined when the reference has none. */
export function registrySchema(type: string): RegistrySchema | undefined {
  if (!cache.has(type)) {
    const candidates = [
      path.join(AWSCC_DIR, `${type.replace(/::/g, '_')}.json`),
      path.join(CFN_LINT_DIR, `${type.toLowerCase().replace(/::/g, '-')}.json`),
    ];
    const file = candidates.find((f) => fs.existsSync(f));
    cache.set(type, file ? JSON.parse(fs.readFileSync(file, 'utf8')) as RegistrySchema : undefined);
  }
  return cache.get(type);
}

function isIntrinsic(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

function check(value: unknown, schema: Schema, root: RegistrySchema, where: string): string[] {
  if (isIntrinsic(value)) return [];
  const ref = schema.$ref as string | undefined;
  if (ref) {
    const target = root.definitions?.[ref.replace('#/definitions/', '')];
    return target ? check(value, target, root, where) : [];
  }
  for (const combinator of ['oneOf', 'anyOf'] as const) {
    const branches = schema[combinator] as Schema[] | undefined;
    if (branches && !branches.some((b) => check(value, { ...schema, [combinator]: undefined, ...b }, root, where).length === 0)) {
      return [`${where}: matches none of the ${combinator} alternatives`];
    }
  }
  const errors: string[] = [];
  const enumValues = schema.enum as unknown[] | undefined;
  if (enumValues && (typeof value === 'string' || typeof value === 'number') && !enumValues.includes(value)) {
    errors.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(enumValues)}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => errors.push(...check(item, schema.items as Schema, root, `${where}[${i}]`)));
  }
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (value && typeof value === 'object' && !Array.isArray(value) && properties) {
    const record = value as Record<string, unknown>;
    for (const required of (schema.required as string[] | undefined) ?? []) {
      if (!(required in record)) errors.push(`${where}: required property ${required} is missing`);
    }
    for (const [key, child] of Object.entries(record)) {
      const childSchema = properties[key] ?? Object.entries((schema.patternProperties as Record<string, Schema> | undefined) ?? {})
        .find(([pattern]) => new RegExp(pattern).test(key))?.[1];
      if (childSchema) errors.push(...check(child, childSchema, root, `${where}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${where}: unknown property ${key}`);
    }
  }
  return errors;
}

/** Result of checking one template. */
export interface CloudFormationCheck {
  /** Problems found, one line each. */
  readonly errors: string[];
  /** Resource types checked against a registry schema. */
  readonly checkedTypes: string[];
  /** Resource types the reference has no schema for (custom resources, types not kept there). */
  readonly uncheckedTypes: string[];
}

let serviceSpec: SpecDatabase | undefined;

/** Checks one value against an aws-service-spec property type. */
function checkSpecValue(db: SpecDatabase, value: unknown, type: PropertyType, where: string): string[] {
  if (isIntrinsic(value)) return [];
  switch (type.type) {
    case 'string':
      if (typeof value !== 'string') return [`${where}: ${JSON.stringify(value)} is not a string`];
      return type.allowedValues && !type.allowedValues.includes(value) ? [`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(type.allowedValues)}`] : [];
    case 'integer':
    case 'number':
      // CloudFormation accepts numbers written as strings.
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value))) ? [] : [`${where}: ${JSON.stringify(value)} is not a number`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : [`${where}: ${JSON.stringify(value)} is not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${where}: is not a list`];
      return value.flatMap((item, i) => checkSpecValue(db, item, type.element, `${where}[${i}]`));
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${where}: is not a map`];
      return Object.entries(value).flatMap(([k, v]) => checkSpecValue(db, v, type.element, `${where}.${k}`));
    case 'union':
      return type.types.some((t) => checkSpecValue(db, value, t, where).length === 0) ? [] : [`${where}: matches none of its types`];
    case 'ref':
      return checkSpecProperties(db, value, db.get('typeDefinition', type.reference).properties, where);
    default:
      // json, date-time, tag, null: any literal is accepted here.
      return [];
  }
}

function checkSpecProperties(db: SpecDatabase, value: unknown, properties: Record<string, Property>, where: string): string[] {
  if (isIntrinsic(value)) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${where}: is not an object`];
  const record = value as Record<string, unknown>;
  const errors: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in record)) errors.push(`${where}: required property ${name} is missing`);
  }
  for (const [name, child] of Object.entries(record)) {
    const property = properties[name];
    if (!property) errors.push(`${where}: unknown property ${name}`);
    else errors.push(...checkSpecValue(db, child, property.type, `${where}.${name}`));
  }
  return errors;
}

/**
 * The same check against `@aws-cdk/aws-service-spec` (the resource model aws-cdk-lib's L1s are
 * generated from), used where the registry schemas are not on this machine: unknown and missing
 * required properties, literal types and allowed values. Types it does not know are listed as
 * unchecked, as above.
 */
function checkTemplateAgainstServiceSpec(template: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): CloudFormationCheck {
  serviceSpec ??= loadAwsServiceSpecSync();
  const db = serviceSpec;
  const errors: string[] = [];
  const checked = new Set<string>();
  const unchecked = new Set<string>();
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const [spec] = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    if (!spec) {
      unchecked.add(resource.Type);
      continue;
    }
    checked.add(resource.Type);
    errors.push(...checkSpecProperties(db, resource.Properties ?? {}, spec.properties, `${logicalId} (${resource.Type})`));
  }
  return { errors, checkedTypes: [...checked].sort(), uncheckedTypes: [...unchecked].sort() };
}

/**
 * Checks every resource of a synthesized template (`Template.toJSON()`) against the
 * CloudFormation registry schemas in `../shared/reference`; where that folder is missing,
 * against `@aws-cdk/aws-service-spec` instead (except where the reference is required).
 */
export function checkTemplateAgainstRegistry(template: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): CloudFormationCheck {
  const folders = [AWSCC_DIR, CFN_LINT_DIR];
  if (!folders.some((dir) => fs.existsSync(dir))) {
    referencePath(path.relative(REFERENCE_DIR, AWSCC_DIR)); // fails here where the reference is required
    return checkTemplateAgainstServiceSpec(template);
  }
  const errors: string[] = [];
  const checked = new Set<string>();
  const unchecked = new Set<string>();
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const schema = registrySchema(resource.Type);
    if (!schema) {
      unchecked.add(resource.Type);
      continue;
    }
    checked.add(resource.Type);
    const props = resource.Properties ?? {};
    errors.push(...check(props, schema, schema, `${logicalId} (${resource.Type})`));
    for (const readOnly of schema.readOnlyProperties ?? []) {
      const name = readOnly.replace('/properties/', '');
      if (!name.includes('/') && name in props) errors.push(`${logicalId}: read-only property ${name} is set`);
    }
  }
  return { errors, checkedTypes: [...checked].sort(), uncheckedTypes: [...unchecked].sort() };
}

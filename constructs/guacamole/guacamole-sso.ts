import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledgeAwsSolutions } from '../common/acknowledge';
import { checkProps, isBoolean, isEnumMember, isString, required } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { validatePublicHostname } from './private/validation';

/**
 * Properties of {@link GuacamoleSso}.
 */
export interface GuacamoleSsoProps {
  /**
   * Host name users open (e.g. `desktops.example.com`); the ALB's callback
   * `https://<hostname>/oauth2/idpresponse` is registered with the app client.
   */
  readonly hostname: string;

  /**
   * Prefix of the Cognito hosted domain: lowercase letters, digits and '-', at most 63
   * characters, without "aws", "amazon" or "cognito".
   */
  readonly domainPrefix: string;

  /**
   * Multi-factor authentication (authenticator apps only). Required by default: the gateway
   * opens whole desktops from the internet.
   * @default cognito.Mfa.REQUIRED
   */
  readonly mfa?: cognito.Mfa;

  /**
   * Cognito threat protection (Plus feature plan).
   * @default false
   */
  readonly threatProtection?: boolean;

  /**
   * What happens to the user pool when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The Cognito side of the gateway's sign-in: a user pool (administrator-created users, strong
 * password policy, optional TOTP MFA, deletion protection), its hosted domain, and the app
 * client the load balancer authenticates with (authorization-code flow, generated client
 * secret that the ALB reads from Cognito itself: it never appears in a template or manifest).
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html
 */
@reportsConstructPath
export class GuacamoleSso extends Construct {
  /** The user pool. */
  public readonly userPool: cognito.UserPool;
  /** The app client of the load balancer. */
  public readonly userPoolClient: cognito.UserPoolClient;
  /** The hosted domain. */
  public readonly userPoolDomain: cognito.UserPoolDomain;
  /** The hosted domain's prefix (what the ALB annotation takes). */
  public readonly domainPrefix: string;

  constructor(scope: Construct, id: string, props: GuacamoleSsoProps) {
    super(scope, id);
    checkProps('GuacamoleSso', props, {
      hostname: required(isString("'desktops.example.com'")),
      domainPrefix: required(isString("'desktops-example'")),
      mfa: isEnumMember(cognito.Mfa as unknown as Record<string, string>, 'cognito.Mfa'),
      threatProtection: isBoolean(),
    }, { otherProps: ['removalPolicy'] });

    // Defaults.
    const mfa = props.mfa ?? cognito.Mfa.REQUIRED;
    const threatProtection = props.threatProtection ?? false;

    // Validation.
    validatePublicHostname('GuacamoleSso.hostname', props.hostname);
    validateDomainPrefix('GuacamoleSso.domainPrefix', props.domainPrefix);

    // Resources.
    this.userPool = new cognito.UserPool(this, 'Resource', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa,
      mfaSecondFactor: mfa === cognito.Mfa.OFF ? undefined : { otp: true, sms: false },
      featurePlan: threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: threatProtection ? cognito.StandardThreatProtectionMode.FULL_FUNCTION : undefined,
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.userPoolDomain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.userPoolClient = this.userPool.addClient('AlbClient', {
      // The ALB needs a client secret; Cognito generates it and the ALB reads it through
      // cognito-idp:DescribeUserPoolClient.
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [`https://${props.hostname}/oauth2/idpresponse`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
    this.domainPrefix = props.domainPrefix;

    if (!threatProtection) {
      acknowledgeAwsSolutions(this, {
        'AwsSolutions-COG8': 'Threat protection needs the Cognito Plus feature plan, priced per user; it is one prop away (`threatProtection: true`). Sign-in already requires MFA by default.',
      });
    }
    if (mfa !== cognito.Mfa.REQUIRED) {
      acknowledgeAwsSolutions(this, { 'AwsSolutions-COG2': 'MFA was relaxed explicitly through the `mfa` prop.' });
    }
  }
}

/** Fails unless `value` is a Cognito domain prefix Cognito accepts. */
export function validateDomainPrefix(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!DOMAIN_PREFIX.test(value) || /aws|amazon|cognito/.test(value)) {
    throw new ValidationError(prop, `"${value}" is not a valid Cognito domain prefix; use at most 63 lowercase letters, digits and '-', not starting or ending with '-', without "aws", "amazon" or "cognito".`);
  }
}

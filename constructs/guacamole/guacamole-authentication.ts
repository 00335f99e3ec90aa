import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { checkProps, isBoolean, isEnumMember, isInstanceOf, isString, required, validateHttpsUrl } from '../common/validate';

/**
 * Options of the default sign-in: an Amazon Cognito user pool, enforced by the load balancer.
 */
export interface CognitoSignInOptions {
  /**
   * Prefix of the Cognito hosted domain (`<prefix>.auth.<region>.amazoncognito.com`): lowercase
   * letters, digits and '-', at most 63 characters, without "aws", "amazon" or "cognito". It
   * must be unused in the region.
   * @default - the gateway host name with dots turned into '-' (e.g. `desktops-example-com`)
   */
  readonly domainPrefix?: string;

  /**
   * Multi-factor authentication of the user pool (authenticator apps; SMS stays off).
   * @default cognito.Mfa.OPTIONAL
   */
  readonly mfa?: cognito.Mfa;

  /**
   * Turn on Cognito threat protection (the Plus feature plan, billed per user).
   * @default false
   */
  readonly threatProtection?: boolean;

  /**
   * How long the load balancer's sign-in session lasts (1 second to 7 days).
   * @default Duration.hours(8)
   */
  readonly sessionTimeout?: Duration;

  /**
   * What happens to the user pool when it leaves the stack. Users and their MFA enrolments
   * live only there.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Options of sign-in through the Guacamole OpenID extension, against your own identity provider.
 *
 * Guacamole's OpenID extension uses the implicit flow (`response_type=id_token`) without a
 * client secret: the identity provider must allow it for this client. Amazon Cognito does not,
 * so use the default Cognito sign-in with Cognito.
 *
 * @see https://guacamole.apache.org/doc/gug/openid-auth.html
 */
export interface OpenIdSignInOptions {
  /** Authorization endpoint of the identity provider. */
  readonly authorizationEndpoint: string;
  /** JSON Web Key Set endpoint that signs the ID tokens. */
  readonly jwksEndpoint: string;
  /** Issuer (`iss`) of the ID tokens. */
  readonly issuer: string;
  /** Client id registered for Guacamole (the redirect URI is `https://<hostname>/guacamole/`). */
  readonly clientId: string;
  /**
   * Claim that holds the Guacamole username.
   * @default 'email'
   */
  readonly usernameClaimType?: string;
  /**
   * Claim that holds the user's groups.
   * @default - Guacamole's default (`groups`)
   */
  readonly groupsClaimType?: string;
  /**
   * Scopes requested.
   * @default 'openid email profile'
   */
  readonly scope?: string;
}

/**
 * How users sign in to the gateway.
 */
export class GuacamoleAuthentication {
  /**
   * Amazon Cognito at the load balancer (default). The ALB runs the authorization-code flow
   * with a Cognito app client and passes the user's identity to Guacamole in the
   * `x-amzn-oidc-identity` header, which Guacamole's header extension trusts. Only the load
   * balancer can reach the web app, so the header cannot be forged.
   */
  public static cognito(options: CognitoSignInOptions = {}): GuacamoleAuthentication {
    checkProps('GuacamoleAuthentication.cognito', options, {
      domainPrefix: isString("'desktops-example'"),
      mfa: isEnumMember(cognito.Mfa as unknown as Record<string, string>, 'cognito.Mfa'),
      threatProtection: isBoolean(),
      sessionTimeout: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.hours(8)'),
      removalPolicy: isEnumMember(RemovalPolicy as unknown as Record<string, string>, 'RemovalPolicy'),
    });
    return new GuacamoleAuthentication(options, undefined);
  }

  /**
   * Guacamole's OpenID extension against your own identity provider (implicit flow).
   */
  public static openId(options: OpenIdSignInOptions): GuacamoleAuthentication {
    const p = 'GuacamoleAuthentication.openId';
    checkProps(p, options, {
      authorizationEndpoint: required(isString("'https://idp.example.com/authorize'")),
      jwksEndpoint: required(isString("'https://idp.example.com/.well-known/jwks.json'")),
      issuer: required(isString("'https://idp.example.com'")),
      clientId: required(isString("'guacamole'")),
      usernameClaimType: isString("'email'"),
      groupsClaimType: isString("'groups'"),
      scope: isString("'openid email profile'"),
    });
    // The browser is sent to the authorization endpoint and Guacamole fetches keys from the
    // JWKS endpoint: both must be HTTPS, or tokens and keys could be read or forged on the way.
    for (const key of ['authorizationEndpoint', 'jwksEndpoint', 'issuer'] as const) {
      validateHttpsUrl(`${p}.${key}`, options[key]);
    }
    return new GuacamoleAuthentication(undefined, options);
  }

  /** Options of Cognito sign-in, when chosen. */
  public readonly cognitoOptions?: CognitoSignInOptions;
  /** Options of OpenID sign-in, when chosen. */
  public readonly openIdOptions?: OpenIdSignInOptions;

  private constructor(cognitoOptions?: CognitoSignInOptions, openIdOptions?: OpenIdSignInOptions) {
    this.cognitoOptions = cognitoOptions;
    this.openIdOptions = openIdOptions;
  }
}

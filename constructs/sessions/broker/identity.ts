import { AlbJwtVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';

/** A signed-in user, as a verified identity token says. */
export interface VerifiedIdentity {
  /** The IdP subject (`sub`): the user id of sessions and the Guacamole username. */
  readonly userId: string;
  /** E-mail address, when the token carries one (display only). */
  readonly email?: string;
  /**
   * Every claim of the verified token (the IdP's user claims as the ALB passes them), for
   * settings read from a claim (`SignInBrokerOptions.windowsAccountClaim`).
   * @default - none
   */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Verifies the identity token of a request; throws when it is missing, forged or expired. */
export interface IdentityVerifier {
  verify(token: string | undefined): Promise<VerifiedIdentity>;
}

export interface AlbIdentityVerifierOptions {
  /** ARN of the ALB that signs the tokens (the `signer` header). */
  readonly albArn: string;
  /** The IdP's issuer URL (Cognito: `https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
  readonly issuer: string;
  /** The IdP app client id (the `client` header). */
  readonly clientId: string;
  /**
   * Where the ALB's public keys are fetched.
   * @default - `https://public-keys.auth.elb.<region>.amazonaws.com` of the ALB's region
   */
  readonly jwksUri?: string;
  /** A key cache of your own (tests). @default - aws-jwt-verify's ALB cache */
  readonly jwksCache?: JwksCache;
}

/**
 * Verifies the `x-amzn-oidc-data` token the ALB adds after its authenticate action: ES256
 * signature with the ALB's regional key, the signer (ALB ARN), client id, issuer and expiry,
 * through aws-jwt-verify's `AlbJwtVerifier`. A bare or forged header is refused.
 */
export class AlbIdentityVerifier implements IdentityVerifier {
  private readonly verifier: { verify(jwt: string): Promise<Record<string, unknown>> };

  constructor(options: AlbIdentityVerifierOptions) {
    const props = { albArn: options.albArn, issuer: options.issuer, clientId: options.clientId, ...(options.jwksUri ? { jwksUri: options.jwksUri } : {}) };
    this.verifier = (options.jwksCache ? AlbJwtVerifier.create(props, { jwksCache: options.jwksCache }) : AlbJwtVerifier.create(props)) as unknown as { verify(jwt: string): Promise<Record<string, unknown>> };
  }

  public async verify(token: string | undefined): Promise<VerifiedIdentity> {
    if (!token) throw new Error('no x-amzn-oidc-data header: the request did not come through the ALB\'s sign-in');
    const claims = await this.verifier.verify(token);
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub.length === 0) throw new Error('the identity token has no subject');
    return { userId: sub, email: typeof claims.email === 'string' ? claims.email : undefined, claims };
  }
}

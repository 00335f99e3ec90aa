import { createDecipheriv, createHmac, generateKeyPairSync, KeyObject, randomUUID, sign } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { AlbJwksCache } from 'aws-jwt-verify/alb-cache';
import { AlbIdentityVerifier } from '../../constructs/sessions/broker/identity';

/** The ALB, IdP and JSON key the broker tests sign and verify with. */
export const ALB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/desktops/0123456789abcdef';
export const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example';
export const CLIENT_ID = 'exampleclientid';
export const JSON_KEY = '00112233445566778899aabbccddeeff';

export const b64url = (v: Buffer | string): string => Buffer.from(v).toString('base64url');

/** The ALB's signing key (its public half served from memory to the verifier) and a forger's key. */
export class TestAlb {
  public readonly kid = randomUUID();
  public readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  public readonly forger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  /** A verifier that fetches the ALB's public key from memory (the real endpoint is HTTPS per region). */
  public verifier(): AlbIdentityVerifier {
    const pem = Buffer.from(this.keys.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const jwksCache = new AlbJwksCache({
      fetcher: {
        fetch: async (uri: string) => {
          if (!uri.endsWith(`/${this.kid}`)) throw new Error(`unknown key ${uri}`);
          return pem.buffer.slice(pem.byteOffset, pem.byteOffset + pem.byteLength);
        },
      },
    });
    return new AlbIdentityVerifier({ albArn: ALB_ARN, issuer: ISSUER, clientId: CLIENT_ID, jwksCache });
  }

  /** A token as the ALB signs it: ES256, with the ALB's signer, client and issuer in the header. */
  public token(claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: KeyObject = this.keys.privateKey): string {
    const exp = Math.floor(Date.now() / 1000) + 120;
    const h = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: this.kid, signer: ALB_ARN, iss: ISSUER, client: CLIENT_ID, exp, ...header }));
    const p = b64url(JSON.stringify({ iss: ISSUER, exp, ...claims }));
    const signature = sign('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' });
    return `${h}.${p}.${b64url(signature)}`;
  }

  /** Tokens the broker must refuse: forged, unsigned, expired, from another ALB. */
  public badTokens(sub: string): Record<string, string> {
    const h = b64url(JSON.stringify({ alg: 'none', kid: this.kid, signer: ALB_ARN, client: CLIENT_ID, iss: ISSUER }));
    const past = Math.floor(Date.now() / 1000) - 60;
    return {
      forged: this.token({ sub }, {}, this.forger.privateKey),
      unsigned: `${h}.${b64url(JSON.stringify({ sub, iss: ISSUER, exp: Math.floor(Date.now() / 1000) + 60 }))}.`,
      expired: this.token({ sub, exp: past }, { exp: past }),
      otherAlb: this.token({ sub }, { signer: ALB_ARN.replace('desktops', 'other') }),
    };
  }
}

export interface JsonAuthPayload {
  readonly username: string;
  readonly expires: number;
  readonly connections: Record<string, { protocol: string; parameters: Record<string, string> }>;
}

/** Decrypts a Guacamole JSON auth `data` value and checks its HMAC, as the extension does. */
export function decryptJsonAuth(data: string): JsonAuthPayload {
  const key = Buffer.from(JSON_KEY, 'hex');
  const decipher = createDecipheriv('aes-128-cbc', key, Buffer.alloc(16));
  const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
  const [mac, json] = [plain.subarray(0, 32), plain.subarray(32)];
  if (!createHmac('sha256', key).update(json).digest().equals(mac)) throw new Error('JSON auth HMAC does not match');
  return JSON.parse(json.toString('utf8')) as JsonAuthPayload;
}

/** Guacamole's web app, stood in for: records the `data` parameter (the encrypted JSON auth) of every request. */
export class GuacamoleStandIn {
  public readonly received: string[] = [];
  private readonly server = http.createServer((req, res) => {
    const data = new URL(req.url ?? '/', 'http://x').searchParams.get('data');
    if (data) this.received.push(data);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Guacamole</title><h1>Guacamole</h1>');
  });

  /** Listens on a free loopback port; returns Guacamole's URL. */
  public async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/guacamole/`;
  }

  public async stop(): Promise<void> {
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }
}

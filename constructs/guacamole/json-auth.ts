import { createCipheriv, createHmac } from 'crypto';
import { ValidationError } from '../common/validation-error';

/**
 * One connection inside a Guacamole encrypted-JSON authentication payload.
 *
 * @see https://guacamole.apache.org/doc/gug/json-auth.html
 */
export interface GuacamoleJsonConnection {
  /**
   * Guacamole protocol name, e.g. `rdp`.
   */
  readonly protocol: string;

  /**
   * Connection parameters, as the Guacamole manual names them (all values are strings).
   */
  readonly parameters: Record<string, string>;

  /**
   * Opaque id that lets other sessions join (share or shadow) this connection.
   * @default - the connection cannot be joined
   */
  readonly id?: string;
}

/**
 * What a session service signs and encrypts to hand one user their connections.
 */
export interface GuacamoleJsonAuthPayload {
  /**
   * Guacamole username of the user. Use the same value the gateway's identity header carries
   * (the Cognito `sub` with the default sign-in) so that history, TOTP enrolment and
   * administrator rights stored in the database belong to the same user.
   */
  readonly username: string;

  /**
   * When the payload stops being accepted, in milliseconds since the Unix epoch. Keep it short
   * (minutes): the encrypted payload is a bearer credential until then.
   */
  readonly expires: number;

  /**
   * Connections the user may open, by display name.
   */
  readonly connections: Record<string, GuacamoleJsonConnection>;
}

/** Smallest `expires` accepted as milliseconds (1973-03-03): anything smaller is seconds. */
const SECONDS_LIMIT = 1e11;

/**
 * Signs and encrypts a payload the way Guacamole's `guacamole-auth-json` extension expects:
 * HMAC-SHA256 of the JSON with the shared key, prepended to the JSON, encrypted with AES-128-CBC
 * under the same key and an all-zero IV, base64-encoded.
 *
 * This runs in the session service, never at synth time. The key is the value of the gateway's
 * `jsonAuthSecret` (32 hex digits). Send the result URL-encoded as the `data` parameter:
 * `https://<hostname>/guacamole/?data=<encodeURIComponent(result)>` (or POST it to
 * `/guacamole/api/tokens`).
 *
 * @param payload  the user and their connections
 * @param secretKeyHex  the 128-bit key as 32 hexadecimal digits
 * @returns the base64 value of the `data` parameter
 */
export function encryptGuacamoleJsonAuth(payload: GuacamoleJsonAuthPayload, secretKeyHex: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(secretKeyHex)) {
    throw new ValidationError('encryptGuacamoleJsonAuth.secretKeyHex', 'is not 32 hexadecimal digits; pass the value of the gateway\'s jsonAuthSecret (a 128-bit key).');
  }
  if (!Number.isInteger(payload.expires) || payload.expires <= 0) {
    throw new ValidationError('GuacamoleJsonAuthPayload.expires', `got ${payload.expires}; use an absolute time in milliseconds since the Unix epoch (e.g. Date.now() + 5 * 60_000).`);
  }
  // Seconds since the epoch (what JWT `exp` uses) are below 10^11 until the year 5138; as
  // milliseconds they would mean early 1973, so every link would arrive expired.
  if (payload.expires < SECONDS_LIMIT) {
    throw new ValidationError('GuacamoleJsonAuthPayload.expires', `is ${payload.expires}, which looks like seconds since the epoch; Guacamole reads milliseconds. Use ${payload.expires} * 1000 (e.g. Date.now() + 5 * 60_000).`);
  }
  const key = Buffer.from(secretKeyHex, 'hex');
  const json = Buffer.from(JSON.stringify(payload), 'utf8');
  const signature = createHmac('sha256', key).update(json).digest();
  const cipher = createCipheriv('aes-128-cbc', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.concat([signature, json])), cipher.final()]).toString('base64');
}

import { Token } from 'aws-cdk-lib';
import { ValidationError } from './validation-error';

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Fails unless `value` is an IPv4 CIDR block in network form (`203.0.113.0/24`), which is what
 * the EKS public endpoint allow list takes. Host bits must be zero: `203.0.113.7/24` most likely
 * means either `/32` or the network `/24`, and guessing would widen or narrow access silently.
 */
export function validateIpv4Cidr(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  const match = IPV4_CIDR.exec(value);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : -1;
  if (!match || octets.some((o) => o > 255) || prefix > 32) {
    throw new ValidationError(prop, `"${value}" is not an IPv4 CIDR block; use the form a.b.c.d/n with n from 0 to 32, e.g. "203.0.113.0/24".`);
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) {
    const network = address - (address % size);
    const text = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
    throw new ValidationError(prop, `"${value}" has host bits set; use the network address "${text}/${prefix}", or "/32" for a single address.`);
  }
}

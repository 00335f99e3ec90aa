import { DesktopClass, DesktopSession } from '../api';

/**
 * Estimated cost of a session: the hours it held a desktop (from `readyAt`, or `startedAt`
 * when it never became ready, to `endedAt` or `now`), clipped to [from, now], times the
 * class's price for the session's instance type and capacity type.
 *
 * Left out: storage (root and user disks, snapshots), data transfer, the load balancer and
 * NAT, the gateway and control plane, licenses (RDS SALs, VDA) and Spot price changes: the price
 * table is the administrator's, read as given. A session whose instance type is not known yet or
 * not in the table is counted with cost 0 and `priced: false`.
 */
export function sessionCost(session: DesktopSession, cls: DesktopClass | undefined, now: Date, from?: Date): { hours: number; cost: number; priced: boolean } {
  const status = session.status ?? {};
  const start = status.readyAt ?? status.startedAt;
  if (start === undefined) return { hours: 0, cost: 0, priced: true };
  const begin = Math.max(Date.parse(start), from?.getTime() ?? -Infinity);
  const end = Math.min(status.endedAt !== undefined ? Date.parse(status.endedAt) : now.getTime(), now.getTime());
  const hours = Math.max(0, end - begin) / 3_600_000;
  const price = cls?.spec.prices?.find((p) => p.instanceType === status.instanceType && p.capacityType === (status.capacityType ?? 'on-demand'));
  return { hours, cost: price ? hours * price.hourlyPrice : 0, priced: price !== undefined };
}

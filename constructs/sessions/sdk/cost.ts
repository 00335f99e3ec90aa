import { DESKTOP_STOPPED_CONDITION, DesktopClass, DesktopSession } from '../api';

/**
 * Estimated cost of a session: the hours it held a running desktop (from `readyAt`, or
 * `startedAt` when it never became ready, to `endedAt` or `now`, less the time its desktop was
 * stopped by `onDisconnect: Stop`), clipped to [from, now], times the class's price for the
 * session's instance type and capacity type.
 *
 * Stopped time, from what the status records: the current stop (the `DesktopStopped` condition,
 * True since its `lastTransitionTime`) exactly; earlier stops only as their total
 * (`stoppedSeconds`), which all lie between `readyAt` and the last `resumedAt`: a window that
 * covers only part of that span is charged their share pro rata (an estimate).
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
  const overlap = (a: number, b: number) => Math.max(0, Math.min(b, end) - Math.max(a, begin));
  let stoppedMs = 0;
  const stopped = status.conditions?.find((c) => c.type === DESKTOP_STOPPED_CONDITION && c.status === 'True');
  if (stopped) stoppedMs += overlap(Date.parse(stopped.lastTransitionTime), Infinity);
  const earlier = (status.stoppedSeconds ?? 0) * 1000;
  const resumedAt = Date.parse(status.resumedAt ?? '');
  if (earlier > 0 && !Number.isNaN(resumedAt)) {
    const span = resumedAt - Date.parse(start);
    stoppedMs += span > 0 ? Math.min(earlier, earlier * (overlap(Date.parse(start), resumedAt) / span)) : 0;
  }
  const hours = Math.max(0, end - begin - stoppedMs) / 3_600_000;
  const price = cls?.spec.prices?.find((p) => p.instanceType === status.instanceType && p.capacityType === (status.capacityType ?? 'on-demand'));
  return { hours, cost: price ? hours * price.hourlyPrice : 0, priced: price !== undefined };
}

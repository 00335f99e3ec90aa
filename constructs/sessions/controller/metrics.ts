import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SessionPhase } from '../api';

/** The controller's Prometheus metrics (served on `/metrics`). */
export class ControllerMetrics {
  public readonly registry = new Registry();
  public readonly sessionsByPhase = new Gauge({ name: 'desktop_sessions', help: 'DesktopSessions by phase.', labelNames: ['phase'], registers: [this.registry] });
  public readonly reconcileSeconds = new Histogram({ name: 'desktop_session_reconcile_seconds', help: 'Time one reconcile takes.', labelNames: ['result'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
  public readonly timeToReadySeconds = new Histogram({ name: 'desktop_session_time_to_ready_seconds', help: 'From the session\'s creation to its desktop answering.', buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200], registers: [this.registry] });
  public readonly sessionHours = new Counter({ name: 'desktop_session_hours_total', help: 'Session-hours by user and desktop class.', labelNames: ['user', 'desktop_class'], registers: [this.registry] });
  public readonly sessionCost = new Counter({ name: 'desktop_session_estimated_cost_total', help: 'Estimated cost from the DesktopClass price table, by user and desktop class.', labelNames: ['user', 'desktop_class'], registers: [this.registry] });
  public readonly warmSlots = new Gauge({ name: 'desktop_warm_slots', help: 'Warm slots per desktop class: available (placeholder running on its own host) or pending (host not there yet).', labelNames: ['desktop_class', 'state'], registers: [this.registry] });
  public readonly warmClaims = new Counter({ name: 'desktop_warm_claims_total', help: 'Admitted sessions of classes with warm slots: claimed a slot, or missed (none ready).', labelNames: ['desktop_class', 'result'], registers: [this.registry] });
  public readonly ended = new Counter({ name: 'desktop_sessions_ended_total', help: 'Sessions ended, by reason.', labelNames: ['reason'], registers: [this.registry] });

  public setPhases(counts: Map<SessionPhase, number>): void {
    for (const phase of Object.values(SessionPhase)) this.sessionsByPhase.set({ phase }, counts.get(phase) ?? 0);
  }
}

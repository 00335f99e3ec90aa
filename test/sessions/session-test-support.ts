import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { DesktopClass, DesktopKind, IsolationMode, SESSIONS_API } from '../../constructs/sessions/api';
import { CLASS_RESOURCE } from '../../constructs/sessions/resources';
import { KubernetesClient, KubernetesObject } from '../../constructs/sessions/runtime/kubernetes-client';
import { renderSessionCrds } from '../../constructs/sessions/session-crds';

export const NAMESPACE = 'desktop-sessions';

/** A fake API server serving the session CRDs, and a client connected to it. */
export async function startApi(): Promise<{ server: FakeKubeApiServer; client: KubernetesClient; url: string }> {
  const server = new FakeKubeApiServer();
  for (const crd of renderSessionCrds()) server.registerCrd(crd);
  const url = await server.start();
  try {
    const client = await KubernetesClient.connect({ server: url, token: 'test-token' });
    return { server, client, url };
  } catch (error) {
    await server.stop(); // never leave a listening server behind (jest would not exit)
    throw error;
  }
}

export function windows11Class(overrides: Partial<DesktopClass['spec']> = {}, name = 'win11'): DesktopClass {
  return {
    apiVersion: SESSIONS_API,
    kind: 'DesktopClass',
    metadata: { name },
    spec: {
      kind: DesktopKind.VM,
      isolation: IsolationMode.SHARED_POOL,
      goldenImage: { namespace: 'golden-images', name: 'windows11' },
      allowedSizes: ['small', 'medium'],
      sessionsPerUser: 1,
      currency: 'USD',
      prices: [{ instanceType: 'c8i.2xlarge', capacityType: 'on-demand', hourlyPrice: 0.5 }],
      ...overrides,
    },
  };
}

export async function createClass(client: KubernetesClient, cls: DesktopClass = windows11Class()): Promise<void> {
  await client.create(CLASS_RESOURCE, cls as unknown as KubernetesObject, 'test');
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false (or fails after `ms`). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A clock tests move by hand. */
export class TestClock {
  private t = Date.parse('2026-11-29T10:00:00Z');
  public now = (): Date => new Date(this.t);
  public advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

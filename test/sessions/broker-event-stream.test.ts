import * as http from 'http';
import { SessionPhase } from '../../constructs/sessions/api';
import { SessionEvent } from '../../constructs/sessions/broker/pages';
import { SessionStatusHub } from '../../constructs/sessions/broker/session-status-hub';
import { SignInBroker } from '../../constructs/sessions/broker/sign-in-broker';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { JSON_KEY, TestAlb } from './broker-test-support';
import { NAMESPACE, createClass, eventually, startApi, windows11Class } from './session-test-support';

jest.setTimeout(60_000);

/** One open `GET /events` stream, parsed as EventSource does (event name + data lines). */
class EventStream {
  public readonly events: SessionEvent[] = [];
  public status = 0;
  public ended = false;
  public contentType = '';
  private req?: http.ClientRequest;

  public open(url: string, token: string | undefined, agent: http.Agent): Promise<this> {
    return new Promise((resolve, reject) => {
      this.req = http.get(url, { agent, headers: token ? { 'x-amzn-oidc-data': token, 'accept': 'text/event-stream' } : {} }, (res) => {
        this.status = res.statusCode ?? 0;
        this.contentType = String(res.headers['content-type']);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let i: number;
          while ((i = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const lines = block.split('\n');
            if (lines.includes('event: session')) {
              this.events.push(JSON.parse(lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')) as SessionEvent);
            }
          }
        });
        res.on('end', () => { this.ended = true; });
        resolve(this);
      });
      this.req.on('error', (error) => { if (!this.ended) reject(error); });
    });
  }

  public close(): void {
    this.req?.destroy();
  }
}

describe('sign-in broker event stream (GET /events)', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let sessions: DesktopSessions;
  let broker: SignInBroker;
  let base: string;
  const alb = new TestAlb();
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

  beforeAll(async () => {
    ({ server, client } = await startApi());
    await createClass(client, windows11Class({ sessionsPerUser: 1 }));
    sessions = new DesktopSessions(client, NAMESPACE);
    broker = new SignInBroker({
      sessions, verifier: alb.verifier(), desktopClass: 'win11', guacamoleUrl: 'https://desktops.example.com/guacamole/',
      jsonAuthKeyHex: JSON_KEY, basePath: '/portal', eventStreamHeartbeatSeconds: 1,
    });
    base = `${await broker.listen(0, '127.0.0.1')}/portal`;
  });

  afterAll(async () => {
    await broker?.close();
    agent.destroy();
    client?.close();
    await server?.stop();
  });

  const setStatus = (name: string, status: Record<string, unknown>) => server.setStatus('sessions.desktop.io', 'v1alpha1', 'desktopsessions', NAMESPACE, name, status);
  const sessionWatches = () => server.openWatches('sessions.desktop.io', 'v1alpha1', 'desktopsessions');

  test('200 open streams share one watch; each sees only its own session and ends when it is Ready', async () => {
    // GIVEN 200 users with a session each
    const users = Array.from({ length: 200 }, (_, i) => `stream-user-${i}`);
    const names: string[] = [];
    for (let i = 0; i < users.length; i += 50) {
      names.push(...(await Promise.all(users.slice(i, i + 50).map((userId) => sessions.create({ userId, desktopClass: 'win11', size: 'small' })))).map((s) => s.metadata.name));
    }
    const watchesBefore = broker.hub.watchCount;

    // WHEN each opens the event stream with its own verified token
    const streams = await Promise.all(users.map((sub) => new EventStream().open(`${base}/events`, alb.token({ sub }), agent)));
    await eventually(() => streams.every((s) => s.events.length === 1), 20_000, 'first event on every stream');

    // THEN all are served from one watch on the API server
    expect(streams.every((s) => s.status === 200 && s.contentType.startsWith('text/event-stream'))).toBe(true);
    expect(sessionWatches()).toBe(1);
    expect(broker.hub.watchCount - watchesBefore).toBeLessThanOrEqual(1);
    expect(broker.hub.size).toBe(200);
    expect(streams[0].events[0]).toEqual({ phase: SessionPhase.PENDING, progress: 0, message: 'Waiting for a desktop' });

    // WHEN one user's session makes progress THEN only that user's stream hears of it
    setStatus(names[7], { phase: SessionPhase.PROVISIONING, progress: 40, message: 'Starting Windows' });
    await eventually(() => streams[7].events.length === 2, 10_000, 'progress event');
    expect(streams[7].events[1]).toEqual({ phase: SessionPhase.PROVISIONING, progress: 40, message: 'Starting Windows' });
    await new Promise((r) => setTimeout(r, 200));
    expect(streams.filter((s) => s.events.length !== 1).length).toBe(1);

    // WHEN it is Ready THEN the event names `connect` and the server ends that stream
    setStatus(names[7], { phase: SessionPhase.READY, progress: 100, message: 'Ready', rdpEndpoint: 'x:3389' });
    await eventually(() => streams[7].ended, 10_000, 'stream end');
    expect(streams[7].events[2]).toEqual({ phase: SessionPhase.READY, progress: 100, message: 'Ready', location: 'connect' });
    expect(streams[8].ended).toBe(false);

    // WHEN every browser goes away THEN the listeners are released (the watch lingers, then stops)
    for (const s of streams) s.close();
    await eventually(() => broker.hub.size === 0, 10_000, 'listeners released');
  });

  test('the stream is authenticated like the page: no, forged, unsigned, expired or other-ALB tokens get 401 and no stream', async () => {
    for (const token of [undefined, ...Object.values(alb.badTokens('stream-user-1'))]) {
      const stream = await new EventStream().open(`${base}/events`, token, agent);
      await eventually(() => stream.ended, 5_000, 'refusal');
      expect(stream.status).toBe(401);
      expect(stream.events).toEqual([]);
    }
  });

  test('the hub stops its watch after the last listener left', async () => {
    const hub = new SessionStatusHub({ sessions, lingerMs: 50 });
    const before = sessionWatches();
    const [a, b] = await Promise.all([hub.subscribe('s-a', () => undefined), hub.subscribe('s-b', () => undefined)]);
    expect(hub.watchCount).toBe(1);
    expect(sessionWatches()).toBe(before + 1);
    a();
    b();
    await eventually(() => sessionWatches() === before, 5_000, 'watch stopped');
    await hub.close();
  });
});

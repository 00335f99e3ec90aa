import { RdpConnection, RdpSecurityMode } from '../../constructs/guacamole/rdp-connection';
import { sessionName } from '../../constructs/node-desktops/node-desktop-session';

describe('RdpConnection.toNodeDesktop', () => {
  test('connects to the session Service in the pool namespace, NLA and certificate verification by default', () => {
    // GIVEN / WHEN
    const connection = RdpConnection.toNodeDesktop({ name: 'Desktop', serviceName: sessionName('alice@example.com'), namespace: 'desktops-shared' });
    // THEN
    expect(connection.hostname).toBe(`${sessionName('alice@example.com')}.desktops-shared.svc.cluster.local`);
    expect(connection.toJsonConnection()).toEqual({
      protocol: 'rdp',
      parameters: expect.objectContaining({ 'port': '3389', 'security': RdpSecurityMode.NLA, 'ignore-cert': 'false', 'disable-copy': 'true', 'disable-paste': 'true' }),
    });
  });

  test('takes the same certificate choice as VM desktops', () => {
    // GIVEN / WHEN
    const node = RdpConnection.toNodeDesktop({ name: 'D', serviceName: 'nd-a', namespace: 'd', ignoreCert: true, clusterDomain: 'cluster.example' });
    const vm = RdpConnection.toKubeVirtDesktop({ name: 'D', serviceName: 'nd-a', namespace: 'd', ignoreCert: true, clusterDomain: 'cluster.example' });
    // THEN
    expect(node.parameters()).toEqual(vm.parameters());
  });

  test('a Service name that is no DNS label fails', () => {
    // WHEN / THEN
    expect(() => RdpConnection.toNodeDesktop({ name: 'D', serviceName: 'ND_alice', namespace: 'd' }))
      .toThrow(/RdpConnection\.serviceName: "ND_alice" is not a valid Kubernetes name/);
  });
});

/**
 * The cloud-init seed of a VM: what it says, that cloud-init's own schema check accepts the
 * user-data, and that cloud-init's network-config v2 parser reads the network-config into the
 * addresses, MTU and routes the lab asked for. cloud-init is a Debian package (scripts/setup.sh
 * installs it); under CI=true its absence fails the test instead of skipping it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateLab, type LabDocument } from './lab.js';
import { parseStartupMarker, renderSeed, SEED_FILES } from './cloud-init-seed.js';
import { guestConfig, liveGuestChange } from './guest-config.js';

function labFile(name: string): LabDocument {
  const result = validateLab(JSON.parse(readFileSync(`assets/labs/${name}.lab.json`, 'utf8')));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

const routed = labFile('routed');
const demo = labFile('demo');
const scratch = mkdtempSync(join(tmpdir(), 'wb-seed-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const hasCloudInit = spawnSync('cloud-init', ['--version']).status === 0;
const cloudInitIt = hasCloudInit || process.env.CI === 'true' ? it : it.skip;

describe('cloud-init seed', () => {
  it('renders hostname, NICs by MAC with addresses, MTU and routes, hosts, and the startup script', () => {
    const seed = renderSeed(routed, 'b');
    expect(seed['meta-data']).toMatch(/^instance-id: "wb-7e57a11e-b-[0-9a-f]{8}"\nlocal-hostname: "b"\n$/);
    expect(seed['network-config']).toContain('    eth0:\n      match:\n        macaddress: "52:54:00:');
    expect(seed['network-config']).toContain('      set-name: "eth0"\n      addresses:\n        - "10.2.0.10/24"\n        - "fd02::10/64"\n      mtu: 1400\n');
    // `to: default` is valid netplan but cloud-init 22.4 (Debian 12) refuses it: default routes are written as /0.
    expect(seed['network-config']).toContain('        - to: "0.0.0.0/0"\n          via: "10.2.0.1"\n        - to: "fd01::/64"\n          via: "fd02::1"\n');
    expect(seed['user-data']).toMatch(/^#cloud-config\nmanage_etc_hosts: false\nwrite_files:\n/);
    expect(seed['user-data']).toContain('      10.2.0.10 b.lan2 b\n');
    expect(seed['user-data']).toContain("      wb_run 1 'echo '\\''hello from b'\\'' > /www/index.html'\n");
    expect(seed['user-data']).toContain('      echo "WIREBENCH-STARTUP-DONE vm=b commands=3 failed=$failed" >/dev/console\n');
    expect(renderSeed(routed, 'r')['user-data']).toContain('      sysctl -w net.ipv4.ip_forward=1 >/dev/null\n      sysctl -w net.ipv6.conf.all.forwarding=1 >/dev/null\n');
    // The instance id follows the configuration, so a cloud image re-applies an edited one.
    const edited = { ...routed, vms: routed.vms.map((v) => (v.name === 'b' ? { ...v, startup: ['true'] } : v)) };
    expect(renderSeed(edited, 'b')['meta-data']).not.toBe(seed['meta-data']);
  });

  it('reads its own markers', () => {
    expect(parseStartupMarker('\rWIREBENCH-STARTUP-FAILED vm=b index=2 exit=127\r')).toEqual({ kind: 'failed', vm: 'b', index: 2, exitCode: 127 });
    expect(parseStartupMarker('WIREBENCH-STARTUP-DONE vm=a commands=3 failed=1')).toEqual({ kind: 'done', vm: 'a', commands: 3, failed: 1 });
    expect(parseStartupMarker('wirebench-startup[0]: echo WIREBENCH-STARTUP')).toBeNull();
  });

  cloudInitIt('passes `cloud-init schema` (user-data) and cloud-init\'s network-config v2 parser, for every VM of the bundled labs', () => {
    for (const lab of [routed, demo]) {
      for (const vm of lab.vms) {
        const dir = join(scratch, `${lab.name}-${vm.name}`);
        execFileSync('mkdir', ['-p', dir]);
        const seed = renderSeed(lab, vm.name);
        for (const file of SEED_FILES) writeFileSync(join(dir, file), seed[file]);
        const schema = spawnSync('cloud-init', ['schema', '--config-file', join(dir, 'user-data')], { encoding: 'utf8' });
        expect(schema.status, schema.stdout + schema.stderr).toBe(0);
        expect(schema.stdout).toContain('Valid cloud-config');
        // cloud-init 22.4 has no `schema --schema-type network-config`: parse it as cloud-init does at boot,
        // strictly, and render it for systemd-networkd.
        const py = [
          'import sys, yaml',
          'from cloudinit.net.network_state import parse_net_config_data',
          'from cloudinit.net import networkd',
          'cfg = yaml.safe_load(open(sys.argv[1]))',
          'state = parse_net_config_data(cfg["network"], skip_broken=False)',
          'for name, text in networkd.Renderer({})._render_content(state).items(): print("==", name); print(text)',
        ].join('\n');
        const parsed = spawnSync('/usr/bin/python3', ['-c', py, join(dir, 'network-config')], { encoding: 'utf8' });
        expect(parsed.status, parsed.stderr).toBe(0);
        const config = guestConfig(lab, vm.name);
        for (const nic of config.nics) {
          expect(parsed.stdout).toContain(`== ${nic.name}`);
          expect(parsed.stdout).toContain(`MACAddress=${nic.mac}`);
          for (const a of nic.addresses) expect(parsed.stdout).toContain(`Address=${a}`);
          if (nic.mtu) expect(parsed.stdout).toContain(`MTUBytes=${nic.mtu}`);
          for (const r of nic.routes) expect(parsed.stdout).toContain(`Destination=${r.to}\n\nGateway=${r.via}`);
        }
      }
    }
  });
});

describe('live changes of a running guest', () => {
  it('turns route, forwarding, MTU and hosts edits into commands; addresses and startup need a restart', () => {
    const before = guestConfig(routed, 'a');
    const next: LabDocument = {
      ...routed,
      vms: routed.vms.map((v) => (v.name === 'a' ? { ...v, forwarding: true, routes: [{ to: '10.2.0.0/24', via: '10.1.0.1' }], startup: ['true'] } : v)),
      nics: routed.nics.map((n) => (n.vm === 'a' ? { ...n, mtu: 1400, ip: '10.1.0.11/24' } : n)),
    };
    const change = liveGuestChange(before, guestConfig(next, 'a'));
    expect(change.commands).toEqual([
      'ip link set dev eth0 mtu 1400',
      'sysctl -w net.ipv4.ip_forward=1',
      'sysctl -w net.ipv6.conf.all.forwarding=1',
      'ip route del 0.0.0.0/0 via 10.1.0.1 dev eth0 || true',
      'ip -6 route del fd02::/64 via fd01::1 dev eth0 || true',
      'ip route replace 10.2.0.0/24 via 10.1.0.1 dev eth0',
      expect.stringMatching(/^printf '%s\\n' '127\.0\.0\.1 localhost' .* >\/etc\/hosts$/),
    ]);
    expect(change.restartNeeded).toEqual(['eth0: addresses changed', 'startup commands changed']);
    expect(liveGuestChange(before, before)).toEqual({ commands: [], restartNeeded: [] });
  });
});

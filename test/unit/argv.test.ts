// The one argv parser for the stack's binaries (containerd, shims, runc), on the command lines
// they really run with, and on hostile ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseArgv, parseContainerdArgs, parseShimArgs, runcAction, runcRoot } from '../../src/sources/proc/argv.ts';

test('Go flag forms: -name value, --name value, -name=value, --name=value, booleans, --', () => {
  const v = new Set(['a', 'bee']);
  assert.deepEqual(parseArgv(['x', '-a', '1', '--bee=2', '-debug', 'sub', '-a', '3'], v), { flags: { a: '1', bee: '2', debug: 'true' }, positionals: ['sub', '-a', '3'] });
  assert.deepEqual(parseArgv(['x', '--a', '1', '--', '-b'], v), { flags: { a: '1' }, positionals: ['-b'] });
  assert.deepEqual(parseArgv(['x', '-a'], v), { flags: { a: 'true' }, positionals: [] }, 'a value flag at the end has no value');
  assert.deepEqual(parseArgv(['x', '-'], v), { flags: {}, positionals: ['-'] });
});

test('containerd: --config/-c, --address/-a, --root, --state; a subcommand is not the daemon', () => {
  assert.deepEqual(parseContainerdArgs(['/usr/bin/containerd']), {});
  assert.deepEqual(parseContainerdArgs(['containerd', '--config', '/l/config.toml', '--address=/l/c.sock', '--root', '/l/root', '--state', '/l/state', '--log-level', 'debug']),
    { config: '/l/config.toml', address: '/l/c.sock', root: '/l/root', state: '/l/state' });
  assert.deepEqual(parseContainerdArgs(['containerd', '-c', '/x.toml', '-a', '/x.sock']), { config: '/x.toml', address: '/x.sock' });
  assert.equal(parseContainerdArgs(['containerd', '--config', '/x.toml', 'config', 'dump']).subcommand, 'config');
});

test('shims: 1.6/1.7 and 2.x command lines, start and delete', () => {
  assert.deepEqual(parseShimArgs(['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'abc', '-address', '/run/containerd/containerd.sock']),
    { namespace: 'k8s.io', id: 'abc', address: '/run/containerd/containerd.sock' });
  // 2.x adds -debug when containerd logs at debug level
  assert.deepEqual(parseShimArgs(['containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'abc', '-address', '/a.sock', '-debug']), { namespace: 'k8s.io', id: 'abc', address: '/a.sock' });
  assert.deepEqual(parseShimArgs(['containerd-shim-runc-v2', '-namespace', 'k8s.io', '-address', '/a.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'x', 'start']),
    { namespace: 'k8s.io', address: '/a.sock', id: 'x', action: 'start' });
  assert.deepEqual(parseShimArgs(['containerd-shim-runc-v2', '--id=y', '-debug', 'delete']), { id: 'y', action: 'delete' });
});

test('runc: the subcommand after the global flags, and --root', () => {
  assert.equal(runcAction(['runc', '--root', '/r', '--log', '/l', '--log-format', 'json', 'delete', '--force', 'x']), 'delete');
  assert.equal(runcAction(['runc', '--systemd-cgroup', 'create', '--bundle', '/b', 'id']), 'create');
  assert.equal(runcAction(['runc', 'init']), 'init');
  assert.equal(runcAction(['runc']), undefined);
  assert.equal(runcRoot(['runc', '--root=/run/containerd/runc/k8s.io', 'state', 'x']), '/run/containerd/runc/k8s.io');
});

test('hostile command lines never throw (property)', () => {
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 12 }), (argv) => {
    parseContainerdArgs(argv);
    parseShimArgs(argv);
    runcAction(argv);
    return true;
  }), { numRuns: 500 });
});

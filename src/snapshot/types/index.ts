// The Snapshot's types: plain serialisable data, the one contract between collecting and
// thinking. These modules import nothing of ours outside src/snapshot/types, so tree/,
// goroutines/, rules/ and report/ can all use them without a loop. One file per area.
export * from './probe.ts';
export * from './cri.ts';
export * from './containerd.ts';
export * from './shim.ts';
export * from './stack.ts';
export * from './goroutines.ts';
export * from './findings.ts';
export * from './kubelet.ts';
export * from './logs.ts';
export * from './node.ts';
export * from './snapshot.ts';
export * from './proc.ts';
export * from './runc.ts';
export * from './tree.ts';

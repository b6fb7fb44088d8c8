// The kubelet source: process, flags, config file, version, runtime endpoint.
export * from './flags.ts';
export * from './process.ts';
export * from './resolve.ts';
export * from './source.ts';
export * from './choose.ts';

// The node source: load, memory, PSI, limits, D-state tasks, frozen cgroups, kernel log.
export * from './parse.ts';
export * from './source.ts';

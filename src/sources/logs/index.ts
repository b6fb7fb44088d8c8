// Log scanning: pattern tables, episode grouping, file tails and journald.
export * from './table.ts';
export * from './tables.ts';
export * from './timestamp.ts';
export * from './episodes.ts';
export * from './read.ts';

// Log scanning: pattern tables, episode grouping, file tails and journald.
export * from './table.ts';
export * from './tables.ts';
export * from './timestamp.ts';
export * from './calendar.ts';
export * from './frame.ts';
export * from './fields.ts';
export * from './episodes.ts';
export * from './read.ts';
export * from './saved.ts';
export * from './order.ts';
export * from './window.ts';
export * from './correlate.ts';

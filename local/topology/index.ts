export * from './settings.ts';
export * from './topology.ts';

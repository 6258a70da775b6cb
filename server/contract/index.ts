export * from './errors.js';
export * from './projects.js';
export * from './system.js';
export * from './events.js';
export * from './desktop-bridge.js';
export * from './workshop.js';
export * from './whitelist.js';
export * from './recordings.js';

// Public API of pyrolive (library use). Each area exports its own pieces.
export * from './errors';
export * from './physics/types';

/**
 * The `pyrolive/io` entry point: SPE files (read with openSpe, write with writeSpe / SpeStreamWriter) and the
 * text tables (lamp radiance, power logs, plain spectra, CSV).
 */
export * from './types';
export * from './spe';
export * from './speWriter';
export * from './tables';

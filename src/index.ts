/**
 * Public API of pyrolive for library use. Each area also has its own entry point with its full set of exports:
 * pyrolive/physics, pyrolive/io, pyrolive/analysis, pyrolive/detect, pyrolive/stream, pyrolive/server (the
 * package.json `exports` map; nothing else under dist/ is importable by package name).
 */
export * from './errors';
export { getEngine, jsEngine, nativeAvailable, nativeLoadReport, planckCurve, FIT_STATUS } from './physics';
export type {
  EngineName, FitOptions, PlanckResult, WienResult, SlidingTwoColorResult, BatchOptions, BatchResult, PhysicsEngine,
} from './physics';
export { openSpe } from './io/spe';
export type { SpeFile, SpeInfo, SpeDataType } from './io/types';
export { writeSpe } from './io/speWriter';
export { createAnalyzer, pairPowerLog, pairPower, analyzeFiles } from './analysis';
export type { FrameResult, FrameFlag, RoiResult, SpectrumView } from './analysis';
export { SlopeChangeDetector, createDetector, detectOffline } from './detect';
export { detectSlopeChange } from './stream/detectSlopeChange';
export { simulateShot, writeShot } from './sim/shot';
export { startServer } from './server';

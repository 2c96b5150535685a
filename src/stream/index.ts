/**
 * The `pyrolive/stream` entry point: live sources (replay, watch), the live pipeline behind the dashboard, and
 * the RxJS operators it is made of.
 */
export * from './types';
export { createLivePipeline } from './pipeline';
export type { LivePipeline, LivePipelineOptions } from './pipeline';
export { replay } from './replay';
export type { ReplayOptions } from './replay';
export { watch } from './watch';
export type { WatchOptions } from './watch';
export { detectSlopeChange } from './detectSlopeChange';
export type { DetectSlopeChangeOptions } from './detectSlopeChange';
export { withNearestPower, pairPower } from './pairPower';
export type { PairPowerOptions, Pairable } from './pairPower';
export { Recorder } from './recorder';
export type { RecorderOptions } from './recorder';

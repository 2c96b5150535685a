/** The shared analysis pipeline (see docs/analysis.md). */
export * from './types';
export { createAnalyzer } from './analyzer';
export type { Analyzer, AnalyzerConfig, LampInput, DarkInput, Method } from './analyzer';
export { pairPowerLog, pairPower } from './power';
export { nearestIndex } from './nearest';
export type { PowerLog } from './power';
export { emissivityArray, compilePowerExpr } from './expr';
export { analyzeFiles, analyzeFilesTo, parseRange } from './run';
export { FrameBlock, flagNames } from './frameBlock';
export type { AnalyzeOptions, AnalyzeOutput, AnalyzeSummary, FrameSink } from './run';

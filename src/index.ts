/**
 * Public API of pyrolive for library use. Each area also has its own entry point with its full set of exports:
 * pyrolive/physics, pyrolive/io, pyrolive/analysis, pyrolive/detect, pyrolive/stream, pyrolive/server (the
 * package.json `exports` map; nothing else under dist/ is importable by package name).
 *
 * Loading this module loads only the error classes: every other export is a getter that loads its area on first
 * use (the server, RxJS and the analyzer take a few hundred ms to load, and most programs need one of them).
 */
import type * as Physics from './physics';
import type * as Spe from './io/spe';
import type * as SpeWriter from './io/speWriter';
import type * as Analysis from './analysis';
import type * as Detect from './detect';
import type * as StreamDetect from './stream/detectSlopeChange';
import type * as Shot from './sim/shot';
import type * as Server from './server';

export * from './errors';
export type {
  EngineName,
  FitOptions,
  PlanckResult,
  WienResult,
  SlidingTwoColorResult,
  BatchOptions,
  BatchResult,
  PhysicsEngine,
} from './physics';
export type { SpeFile, SpeInfo, SpeDataType } from './io/types';
export type { FrameResult, FrameFlag, RoiResult, SpectrumView, FrameBlock, FrameSink } from './analysis';

export declare const getEngine: typeof Physics.getEngine;
export declare const jsEngine: typeof Physics.jsEngine;
export declare const nativeAvailable: typeof Physics.nativeAvailable;
export declare const nativeLoadReport: typeof Physics.nativeLoadReport;
export declare const planckCurve: typeof Physics.planckCurve;
export declare const FIT_STATUS: typeof Physics.FIT_STATUS;
export declare const openSpe: typeof Spe.openSpe;
export declare const writeSpe: typeof SpeWriter.writeSpe;
export declare const createAnalyzer: typeof Analysis.createAnalyzer;
export declare const pairPowerLog: typeof Analysis.pairPowerLog;
export declare const pairPower: typeof Analysis.pairPower;
export declare const analyzeFiles: typeof Analysis.analyzeFiles;
export declare const analyzeFilesTo: typeof Analysis.analyzeFilesTo;
export declare const SlopeChangeDetector: typeof Detect.SlopeChangeDetector;
export type SlopeChangeDetector = Detect.SlopeChangeDetector;
export declare const createDetector: typeof Detect.createDetector;
export declare const detectOffline: typeof Detect.detectOffline;
export declare const detectSlopeChange: typeof StreamDetect.detectSlopeChange;
export declare const simulateShot: typeof Shot.simulateShot;
export declare const writeShot: typeof Shot.writeShot;
export declare const startServer: typeof Server.startServer;

/** Each area's module and the exports taken from it, loaded on the first read of one of them. */
const LAZY_EXPORTS: Array<[() => Record<string, unknown>, string[]]> = [
  [
    () => require('./physics'),
    ['getEngine', 'jsEngine', 'nativeAvailable', 'nativeLoadReport', 'planckCurve', 'FIT_STATUS'],
  ],
  [() => require('./io/spe'), ['openSpe']],
  [() => require('./io/speWriter'), ['writeSpe']],
  [() => require('./analysis'), ['createAnalyzer', 'pairPowerLog', 'pairPower', 'analyzeFiles', 'analyzeFilesTo']],
  [() => require('./detect'), ['SlopeChangeDetector', 'createDetector', 'detectOffline']],
  [() => require('./stream/detectSlopeChange'), ['detectSlopeChange']],
  [() => require('./sim/shot'), ['simulateShot', 'writeShot']],
  [() => require('./server'), ['startServer']],
];

for (const [load, names] of LAZY_EXPORTS) {
  for (const name of names) {
    Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });
  }
}

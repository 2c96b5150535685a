/**
 * The engine the analysis tests run on: the project's engine as `pyrolive` picks it (src/physics getEngine: the
 * native addon when it loads, else the TypeScript twin; PYROLIVE_ENGINE=js forces the twin). The independent
 * reference engine (refEngine.ts) checks both engines elsewhere.
 */
import { getEngine } from '../../src/physics';
import type { PhysicsEngine } from '../../src/physics/types';

export function testEngine(): PhysicsEngine {
  return getEngine();
}

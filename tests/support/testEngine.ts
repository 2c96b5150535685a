/**
 * The engine the analysis tests run on: the project's engine (src/physics getEngine) when it is present,
 * else the independent reference engine (refEngine.ts) so the pipeline can be tested on its own.
 */
import type { PhysicsEngine } from '../../src/physics/types';
import { refEngine } from './refEngine';

export function testEngine(): PhysicsEngine {
  try {
    const mod = require('../../src/physics') as { getEngine?: () => PhysicsEngine };
    if (typeof mod.getEngine === 'function') {
      return mod.getEngine();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') {
      throw e;
    }
  }
  return refEngine;
}

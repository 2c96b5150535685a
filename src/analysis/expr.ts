/**
 * User-typed maths (mathjs): `--emissivity` in `lambda` (nm) and `--power-expr` in `x` (the logged value).
 * Parsed and validated once, compiled, evaluated on numbers. A bad expression is a UsageError.
 */
import type { MathNode, EvalFunction } from 'mathjs';
import { UsageError } from '../errors';

const CONSTANTS = new Set(['pi', 'e', 'E', 'PI', 'tau', 'phi', 'Infinity', 'NaN']);

function compileIn(expr: string, variable: string, option: string): EvalFunction {
  if (typeof expr !== 'string' || expr.trim() === '') {
    throw new UsageError(`${option}: empty expression`);
  }
  let node: MathNode;
  try {
    // mathjs is loaded only when an expression is given (it takes ~150 ms to load)

    const { parse } = require('mathjs') as typeof import('mathjs');
    node = parse(expr);
  } catch (e) {
    throw new UsageError(`${option}: cannot parse "${expr}": ${(e as Error).message}`);
  }
  // every free symbol must be the variable or a known constant; function names must be mathjs functions
  const bad: string[] = [];
  node.traverse((n: MathNode, _path: string, parent: MathNode | null) => {
    if (
      (n as { type: string }).type === 'AssignmentNode' ||
      (n as { type: string }).type === 'FunctionAssignmentNode'
    ) {
      bad.push('an assignment');
      return;
    }
    if ((n as { type: string }).type !== 'SymbolNode') {
      return;
    }
    const name = (n as unknown as { name: string }).name;
    const isCallee =
      parent &&
      (parent as { type: string }).type === 'FunctionNode' &&
      (parent as unknown as { fn: MathNode }).fn === n;
    if (isCallee) {
      return;
    } // checked when compiled/evaluated
    if (name !== variable && !CONSTANTS.has(name)) {
      bad.push(`"${name}"`);
    }
  });
  if (bad.length) {
    throw new UsageError(`${option}: unknown symbol ${bad[0]} in "${expr}" (the only variable is ${variable})`);
  }
  try {
    return node.compile();
  } catch (e) {
    throw new UsageError(`${option}: cannot compile "${expr}": ${(e as Error).message}`);
  }
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') {
    return v;
  }
  if (typeof v === 'boolean') {
    return v ? 1 : 0;
  }
  if (
    v &&
    typeof v === 'object' &&
    'toNumber' in (v as object) &&
    typeof (v as { toNumber: unknown }).toNumber === 'function'
  ) {
    try {
      return (v as { toNumber(): number }).toNumber();
    } catch {
      return NaN;
    }
  }
  return NaN;
}

function evalAt(fn: EvalFunction, scope: Record<string, number>, expr: string, option: string): number {
  let v: unknown;
  try {
    v = fn.evaluate(scope);
  } catch (e) {
    throw new UsageError(`${option}: cannot evaluate "${expr}": ${(e as Error).message}`);
  }
  return toNumber(v);
}

/**
 * Emissivity ε(λ) per pixel from a mathjs expression in `lambda` (nm). Throws UsageError when ε is not a
 * positive finite number at some wavelength (names the wavelength).
 */
export function emissivityArray(expr: string, wavelengthNm: Float64Array): Float64Array {
  const fn = compileIn(expr, 'lambda', '--emissivity');
  const out = new Float64Array(wavelengthNm.length);
  for (let i = 0; i < out.length; i++) {
    const v = evalAt(fn, { lambda: wavelengthNm[i] }, expr, '--emissivity');
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new UsageError(
        `--emissivity: "${expr}" is ${Number.isNaN(v) ? 'not a number' : v} at ${wavelengthNm[i].toFixed(1)} nm: it must be positive and finite over the fitted range`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** A compiled `--power-expr`: logged value x → watts. Validated on a probe value at compile time. */
export function compilePowerExpr(expr: string): (x: number) => number {
  const fn = compileIn(expr, 'x', '--power-expr');
  const probe = evalAt(fn, { x: 1 }, expr, '--power-expr');
  if (Number.isNaN(probe) && !/\bNaN\b/.test(expr)) {
    // a non-numeric result (matrix, unit, string...) at a plain value of x
    throw new UsageError(`--power-expr: "${expr}" does not give a number (try something like "x * 0.5")`);
  }
  return (x: number) => toNumber(fn.evaluate({ x }));
}

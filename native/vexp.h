// exp(x) in double precision, written so that a loop of it vectorises (no libm call, no table, no branch):
// Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, a degree-13 Taylor polynomial for e^r (truncation < 1e-17),
// and 2^k built from its bits in two halves (so that k down to −1075 and up to 1024 gives the subnormals, 0 and
// +Inf as libm does). Accuracy: within 1 ulp of glibc's exp on 2·10⁷ random x in [−745, 710] (same value for
// ~90 %); NaN gives NaN, x ≥ 709.79 gives +Inf, x ≤ −745.2 gives 0. No fast-math: plain IEEE operations.
// The clamps are selects: they vectorise only with -fno-trapping-math (binding.gyp; clang's default), which
// changes no value, only whether the FP exception flags may be raised speculatively.
#pragma once

#include <cstdint>

namespace pyro {
namespace vexp {

constexpr double kLog2e = 1.4426950408889634074;
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000: k·kLn2Hi is exact for |k| < 2^11
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kShifter = 6755399441055744.0;  // 1.5·2^52: (v + kShifter) − kShifter rounds v to an integer

inline uint64_t bitsOf(double value) { return __builtin_bit_cast(uint64_t, value); }
inline double fromBits(uint64_t bits) { return __builtin_bit_cast(double, bits); }

// 2^k for an integer-valued k in [−1022, 1023].
inline double pow2(double k) {
  const uint64_t biased = bitsOf(k + (kShifter + 1023.0)) - bitsOf(kShifter);
  return fromBits(biased << 52);
}

__attribute__((always_inline)) inline double exp(double x) {
  x = x < -746.0 ? -746.0 : x;
  x = x > 710.0 ? 710.0 : x;
  const double k = (x * kLog2e + kShifter) - kShifter;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const double half = (k * 0.5 + kShifter) - kShifter;
  return p * pow2(half) * pow2(k - half);
}

// exp(x) with the polynomial in fused multiply-adds (one rounding a step instead of two): a third fewer operations
// in a vectorised pass (~25 % faster) and as accurate — within 1 ulp of glibc's exp on 2·10⁷ random x in [−745, 710]
// (the same value for ~94 %), special values as exp(). Only for code compiled for an FMA unit (target avx2,fma or
// avx512f): elsewhere __builtin_fma would be a libm call.
__attribute__((always_inline)) inline double expFma(double x) {
  x = x < -746.0 ? -746.0 : x;
  x = x > 710.0 ? 710.0 : x;
  const double k = (x * kLog2e + kShifter) - kShifter;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double p = 1.0 / 6227020800.0;
  p = __builtin_fma(p, r, 1.0 / 479001600.0);
  p = __builtin_fma(p, r, 1.0 / 39916800.0);
  p = __builtin_fma(p, r, 1.0 / 3628800.0);
  p = __builtin_fma(p, r, 1.0 / 362880.0);
  p = __builtin_fma(p, r, 1.0 / 40320.0);
  p = __builtin_fma(p, r, 1.0 / 5040.0);
  p = __builtin_fma(p, r, 1.0 / 720.0);
  p = __builtin_fma(p, r, 1.0 / 120.0);
  p = __builtin_fma(p, r, 1.0 / 24.0);
  p = __builtin_fma(p, r, 1.0 / 6.0);
  p = __builtin_fma(p, r, 0.5);
  p = __builtin_fma(p, r, 1.0);
  p = __builtin_fma(p, r, 1.0);
  const double half = (k * 0.5 + kShifter) - kShifter;
  return p * pow2(half) * pow2(k - half);
}

}  // namespace vexp
}  // namespace pyro

// log(x) in double precision, written so that a loop of it vectorises (no libm call, no table, no branch): the
// algorithm of fdlibm's e_log.c (FreeBSD msun, the one V8's Math.log uses) step for step, every branch computed
// and selected, so that it gives the same double as JavaScript's Math.log for every input (tests/physics/vlog.test.ts
// checks edge cases and millions of random values for equality) and so the same value as the TypeScript twin.
// Reduction x = 2^k·(1 + f), √2/2 ≤ 1 + f < √2; log(1 + f) = f − s·(f − R), s = f/(2 + f), R a degree-14 minimax
// polynomial in s (error < 2^-58.45); |f| < 2^-20 by a short series. Special cases as libm: log(±0) = −Inf,
// log(x < 0) = NaN, log(+Inf) = +Inf, NaN → NaN, subnormals scaled by 2^54 first. No fast-math: plain IEEE
// operations. The selects vectorise only with -fno-trapping-math (binding.gyp), which changes no value.
#pragma once

#include <cstdint>
#include <limits>

namespace pyro {
namespace vlog {

constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // 0x3dea39ef35793c76
constexpr double kTwo54 = 1.80143985094819840000e+16;
constexpr double kLg1 = 6.666666666666735130e-01;
constexpr double kLg2 = 3.999999999940941908e-01;
constexpr double kLg3 = 2.857142874366239149e-01;
constexpr double kLg4 = 2.222219843214978396e-01;
constexpr double kLg5 = 1.818357216161805012e-01;
constexpr double kLg6 = 1.531383769920937332e-01;
constexpr double kLg7 = 1.479819860511658591e-01;
constexpr double kShifter = 6755399441055744.0;  // 1.5·2^52: the bits of kShifter + k hold k in the low word

inline uint64_t bitsOf(double value) { return __builtin_bit_cast(uint64_t, value); }
inline double fromBits(uint64_t bits) { return __builtin_bit_cast(double, bits); }

// An integer |k| < 2^31 as a double, without an int64 → double conversion (none in AVX2).
inline double toDouble(int64_t k) { return fromBits(bitsOf(kShifter) + static_cast<uint64_t>(k)) - kShifter; }

// x = 2^k·(1 + f), √2/2 ≤ 1 + f < √2, of a positive normal xs = x·2^-kOffset (fdlibm's reduction).
struct Reduced {
  double f;
  double dk;   // k
  int64_t hx;  // the high word of xs's mantissa (fdlibm's hx after its masking), which selects the formula
};

__attribute__((always_inline)) inline Reduced reduce(double xs, int64_t kOffset) {
  const uint64_t bits = bitsOf(xs);
  const int64_t hxs = static_cast<int64_t>(bits) >> 32;
  int64_t k = kOffset + ((hxs >> 20) - 1023);
  const int64_t hx = hxs & 0x000fffff;
  const int64_t half = (hx + 0x95f64) & 0x100000;  // mantissa ≥ √2: normalise to x/2
  const double xn = fromBits((static_cast<uint64_t>(hx | (half ^ 0x3ff00000)) << 32) | (bits & 0xffffffffu));
  k += half >> 20;
  return {xn - 1.0, toDouble(k), hx};
}

// Whether fdlibm takes its short series (|f| < 2^-20) for this reduction.
__attribute__((always_inline)) inline bool isSmall(const Reduced& r) { return ((0x000fffff & (2 + r.hx)) < 3); }

// |f| < 2^-20
__attribute__((always_inline)) inline double smallCase(const Reduced& r) {
  const double f = r.f;
  const double dk = r.dk;
  const double rSmall = f * f * (0.5 - 0.33333333333333333 * f);
  return dk * kLn2Hi - ((rSmall - dk * kLn2Lo) - f);
}

// the general case
__attribute__((always_inline)) inline double generalCase(const Reduced& r) {
  const double f = r.f;
  const double dk = r.dk;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const double R = t2 + t1;
  const double hfsq = 0.5 * f * f;
  const double withSquare = dk * kLn2Hi - ((hfsq - (s * (hfsq + R) + dk * kLn2Lo)) - f);
  const double withoutSquare = dk * kLn2Hi - ((s * (f - R) - dk * kLn2Lo) - f);
  const bool square = ((r.hx - 0x6147a) | (0x6b851 - r.hx)) > 0;
  return square ? withSquare : withoutSquare;
}

__attribute__((always_inline)) inline double log(double x) {
  // fdlibm works on the high word hx (signed) of x
  const int64_t hx0 = static_cast<int64_t>(bitsOf(x)) >> 32;
  const bool tiny = hx0 < 0x00100000;  // subnormal (zero and negatives too: their result is selected at the end)
  const Reduced reduced = reduce(tiny ? x * kTwo54 : x, tiny ? -54 : 0);
  double r = isSmall(reduced) ? smallCase(reduced) : generalCase(reduced);
  // special cases (fdlibm returns these first; k == 0 needs none: its formulas are the general ones with dk = 0)
  r = x < 0 ? std::numeric_limits<double>::quiet_NaN() : r;
  r = x == 0 ? -std::numeric_limits<double>::infinity() : r;
  r = (hx0 >= 0x7ff00000 || x != x) ? x + x : r;
  return r;
}

// log(x) by the general case alone (about a fifth fewer operations), which is log(x) exactly when x is positive,
// normal and finite and not within 2^-20 of a power of two; exact is false for every other x, whose value is then
// not log(x): a loop takes log for them instead (rare in a spectrum).
__attribute__((always_inline)) inline double logCommon(double x, bool& exact) {
  const int64_t hx0 = static_cast<int64_t>(bitsOf(x)) >> 32;  // negative for x < 0 and for some NaNs
  const Reduced reduced = reduce(x, 0);
  exact = (hx0 >= 0x00100000) & (hx0 < 0x7ff00000) & !isSmall(reduced);
  return generalCase(reduced);
}

}  // namespace vlog
}  // namespace pyro

// Numbers as JavaScript writes them, for JSON text built natively (json_binding.cc): writeNumber(out, x) gives the
// bytes of String(x) — which JSON.stringify(x) also writes for a finite x — and "null" for NaN and ±Infinity.
//
// The digits are the shortest that round-trip (std::to_chars without a precision: libstdc++'s Ryu), the closest
// to x among those and, on an exact tie, the even one: the digits ECMAScript's Number::toString asks for and V8
// gives (tests/physics/framesJson.test.ts holds them equal on 2^20 random doubles and the special ones). They are
// then laid out by the spec's rules (ECMA-262 Number::toString, radix 10), with k digits and n = exponent + 1:
//   k <= n <= 21     the digits, then n - k zeros             123456789012345680000
//   0 < n <= 21      a point after the first n digits          1.5, 123.25
//   -6 < n <= 0      "0.", -n zeros, the digits                0.0000015
//   otherwise        d[.ddd]e+N / e-N                          1e+21, 1.5e-7
// -0 is written "0". Header-only; no fast-math (the bits of x are all that is read).
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <system_error>

namespace pyro {
namespace json {

// Room writeNumber may use (the longest text is 25 bytes: "-0.0000012345678901234567" or "-1.2345678901234567e-308").
constexpr size_t kMaxNumberChars = 32;

namespace detail {

inline char* writeZeros(char* out, int count) {
  for (int i = 0; i < count; i++) {
    *out++ = '0';
  }
  return out;
}

}  // namespace detail

// Writes String(x) (finite x) or "null" (NaN, ±Infinity) at out, which has kMaxNumberChars bytes of room; returns
// the end of what it wrote.
inline char* writeNumber(char* out, double x) {
  if (!std::isfinite(x)) {
    std::memcpy(out, "null", 4);
    return out + 4;
  }
  if (x == 0) {  // 0 and -0
    *out = '0';
    return out + 1;
  }
  // An integer below 2^53 in magnitude: its own digits are the shortest (a shorter decimal is another integer,
  // at least 1 away, and the spacing of doubles there is at most 1), and n <= 16 < 21: no exponent.
  const double magnitude = std::fabs(x);
  if (magnitude < 9007199254740992.0 && x == std::trunc(x)) {
    if (x < 0) {
      *out++ = '-';
    }
    const auto value = static_cast<uint64_t>(magnitude);
    return std::to_chars(out, out + kMaxNumberChars - 1, value).ptr;
  }
  // The shortest round-trip digits and the exponent: "[-]d[.ddd]e(+|-)XX[X]".
  char buf[kMaxNumberChars];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const char* p = buf;
  const char* const end = r.ptr;
  if (*p == '-') {
    *out++ = '-';
    ++p;
  }
  char digits[20];
  int k = 0;
  digits[k++] = *p++;
  if (*p == '.') {
    ++p;
    while (p < end && *p != 'e' && k < 20) {
      digits[k++] = *p++;
    }
  }
  ++p;  // 'e'
  const bool negativeExponent = p < end && *p == '-';
  ++p;  // the exponent's sign
  int exponent = 0;
  while (p < end) {
    exponent = exponent * 10 + (*p++ - '0');
  }
  if (negativeExponent) {
    exponent = -exponent;
  }
  const int n = exponent + 1;
  if (k <= n && n <= 21) {
    std::memcpy(out, digits, static_cast<size_t>(k));
    return detail::writeZeros(out + k, n - k);
  }
  if (0 < n && n <= 21) {
    std::memcpy(out, digits, static_cast<size_t>(n));
    out += n;
    *out++ = '.';
    std::memcpy(out, digits + n, static_cast<size_t>(k - n));
    return out + (k - n);
  }
  if (-6 < n && n <= 0) {
    *out++ = '0';
    *out++ = '.';
    out = detail::writeZeros(out, -n);
    std::memcpy(out, digits, static_cast<size_t>(k));
    return out + k;
  }
  *out++ = digits[0];
  if (k > 1) {
    *out++ = '.';
    std::memcpy(out, digits + 1, static_cast<size_t>(k - 1));
    out += k - 1;
  }
  *out++ = 'e';
  int e = n - 1;
  if (e < 0) {
    *out++ = '-';
    e = -e;
  } else {
    *out++ = '+';
  }
  return std::to_chars(out, out + 4, e).ptr;
}

}  // namespace json
}  // namespace pyro

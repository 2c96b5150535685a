// Kernels compiled for several vector units, one chosen at load: the widest this processor has (AVX-512F, or for the
// preparation and the two-colour AVX-512 with BW/VL/DQ; AVX2 with FMA; else the generic build). Each kernel is an
// always_inline function; its variants are thin wrappers with a target attribute, so the same source (same
// operations, no fast-math) is vectorised 8, 4 or 2 doubles at a time.
// No a·b + c is contracted into an FMA (-ffp-contract=off): only vexp.h's expFma uses FMA, explicitly.
// PYROLIVE_SIMD=avx2 or generic (read once, when the addon is loaded) caps the choice: to test the narrower
// variants on a wider processor (tests/physics, tests/quality pass with each).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PYRO_X86_VARIANTS 1
#define PYRO_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define PYRO_TARGET_AVX512 __attribute__((target("avx512f")))
// AVX-512 with its byte/word, vector-length and double/quadword extensions (every AVX-512 processor since Skylake-SP
// but the Xeon Phi): for kernels that mix byte masks with doubles, which AVX-512F alone vectorises 2 doubles at a time
// (it has no byte operations on 512-bit registers). Chosen by chooseVariantBw.
#define PYRO_TARGET_AVX512BW __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#else
#define PYRO_X86_VARIANTS 0
#endif

namespace pyro {

// The vector unit of a kernel variant: Best = the one the kernels use on this processor.
enum class SimdVariant { Best, Avx512, Avx2, Generic };

// An element-wise loop out[i] = f(x[i]) (the variants of the exp and log the tests check).
using ElementLoop = void (*)(const double*, double*, size_t);

#if PYRO_X86_VARIANTS
// The variant for this processor (call once, keep the result in a static).
// The widest unit allowed: 2 (AVX-512), 1 (AVX2) or 0 (generic), from PYROLIVE_SIMD (default: no cap).
inline int readSimdCap() {
  const char* value = std::getenv("PYROLIVE_SIMD");
  if (value == nullptr) {
    return 2;
  }
  if (std::strcmp(value, "generic") == 0) {
    return 0;
  }
  return std::strcmp(value, "avx2") == 0 ? 1 : 2;
}

// Read during the addon's static initialisation (on the loading thread), not by a worker thread later.
inline const int kSimdCap = readSimdCap();

// Whether this processor has the vector unit of a variant.
inline bool hasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}
inline bool hasAvx512Bw() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
inline bool hasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// The variant to use: the widest whose unit this processor has (`hasWidest` for the widest one), within the cap.
template <typename Function>
Function chooseVariantOf(bool hasWidest, Function widest, Function avx2, Function generic) {
  const int cap = kSimdCap;
  if (cap >= 2 && hasWidest) {
    return widest;
  }
  if (cap >= 1 && hasAvx2Fma()) {
    return avx2;
  }
  return generic;
}

template <typename Function>
Function chooseVariant(Function avx512, Function avx2, Function generic) {
  return chooseVariantOf(hasAvx512(), avx512, avx2, generic);
}

// As chooseVariant, for kernels whose widest variant is compiled with PYRO_TARGET_AVX512BW.
template <typename Function>
Function chooseVariantBw(Function avx512bw, Function avx2, Function generic) {
  return chooseVariantOf(hasAvx512Bw(), avx512bw, avx2, generic);
}
#endif

// The variant `asked` of a kernel (for the tests of the variants): Best = the one the kernels use (chooseVariant), a
// named one when this processor has it, else nullptr. Without x86 variants only Best and Generic exist.
template <typename Function>
Function variantOf(SimdVariant asked, Function avx512, Function avx2, Function generic) {
#if PYRO_X86_VARIANTS
  switch (asked) {
    case SimdVariant::Best:
      return chooseVariant(avx512, avx2, generic);
    case SimdVariant::Avx512:
      return hasAvx512() ? avx512 : nullptr;
    case SimdVariant::Avx2:
      return hasAvx2Fma() ? avx2 : nullptr;
    case SimdVariant::Generic:
      return generic;
  }
  return nullptr;
#else
  (void)avx512;
  (void)avx2;
  return asked == SimdVariant::Best || asked == SimdVariant::Generic ? generic : nullptr;
#endif
}

}  // namespace pyro

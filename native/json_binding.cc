// formatFramesJson(input): a batch of frame results held in columns (src/physics/types.ts FramesJsonInput) as the
// UTF-8 bytes of their JSON text, the frames as array elements separated by ',' — byte for byte what
// JSON.stringify writes for the equivalent objects (the numbers by jsonText.h). Returns a Node Buffer. Every
// argument is validated first (TypeError for a wrong type, RangeError for a bad value; the messages are the
// TypeScript twin's, src/physics/jsEngine.ts formatFramesJson); nothing aborts.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "frameFlags.h"
#include "jsonText.h"

namespace pyro {
namespace binding {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

// The "flags" array's text for each combination of the 6 bits: "[]", "[\"saturated\"]", ...
struct FlagTexts {
  std::string text[1 << kFlagCount];
  FlagTexts() {
    for (int bits = 0; bits < (1 << kFlagCount); bits++) {
      std::string s = "[";
      for (int k = 0; k < kFlagCount; k++) {
        if ((bits >> k) & 1) {
          if (s.size() > 1) {
            s += ',';
          }
          s += '"';
          s += kFlagNames[k];
          s += '"';
        }
      }
      s += ']';
      text[bits] = s;
    }
  }
};
const FlagTexts kFlags;

// Bytes one frame can take at most, without its ROIs: 110 of keys and punctuation, 8 numbers of at most 25
// bytes, the 59 of all six flags (rounded up).
constexpr size_t kFrameBound = 400;
// Per ROI when nRois > 1, without its key: 70 of keys and punctuation, 3 numbers, the flags (rounded up).
constexpr size_t kRoiBound = 256;

struct Input {
  size_t n = 0;
  size_t nRois = 1;
  std::vector<std::string> roiKeys;
  F64 index, time, power, temperature, temperatureError, chi2, twoColorMean, twoColorStd;
  U8 flags;
  bool leadingComma = false;
};

bool isJsonStringLiteral(const std::string& s) {
  const size_t len = s.size();
  if (len < 2 || s[0] != '"' || s[len - 1] != '"') {
    return false;
  }
  for (size_t i = 1; i + 1 < len; i++) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c < 0x20) {
      return false;
    }
    if (c == '\\') {
      if (i + 2 >= len) {  // the escape would take the closing quote
        return false;
      }
      const char e = s[++i];
      if (e == 'u') {
        if (i + 5 >= len) {
          return false;
        }
        for (int h = 1; h <= 4; h++) {
          const char x = s[i + h];
          const bool hex = (x >= '0' && x <= '9') || (x >= 'a' && x <= 'f') || (x >= 'A' && x <= 'F');
          if (!hex) {
            return false;
          }
        }
        i += 4;
      } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
        return false;
      }
    }
  }
  return true;
}

F64 column(const Napi::Object& input, const char* name, size_t length, const char* what) {
  const std::string key = std::string("input.") + name;
  F64 array = asF64(input.Get(name), key.c_str());
  if (array.length != length) {
    argFail(key + " length " + std::to_string(array.length) + " does not match " + what + " = " +
            std::to_string(length));
  }
  return array;
}

Input readInput(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray() || info[0].IsTypedArray()) {
    typeFail("input must be an object");
  }
  const Napi::Object input = info[0].As<Napi::Object>();
  Input in;
  const Napi::Value nValue = input.Get("n");
  if (!nValue.IsNumber()) {
    typeFail("input.n must be a non-negative integer");
  }
  const double n = nValue.As<Napi::Number>().DoubleValue();
  if (!isInteger(n) || n < 0 || n > kMaxSafeInteger) {
    argFail("input.n must be a non-negative integer");
  }
  const Napi::Value roisValue = input.Get("nRois");
  if (!roisValue.IsNumber()) {
    typeFail("input.nRois must be a positive integer");
  }
  const double nRois = roisValue.As<Napi::Number>().DoubleValue();
  if (!isInteger(nRois) || nRois < 1 || nRois > kMaxSafeInteger) {
    argFail("input.nRois must be a positive integer");
  }
  const double slots = n * nRois;
  if (slots > kMaxSafeInteger) {
    argFail("input.n × input.nRois is too large");
  }
  in.n = static_cast<size_t>(n);
  in.nRois = static_cast<size_t>(nRois);
  const size_t perRoi = static_cast<size_t>(slots);

  const Napi::Value keys = input.Get("roiKeys");
  if (in.nRois == 1) {
    if (!absent(keys)) {
      typeFail("input.roiKeys must be null when nRois is 1");
    }
  } else {
    if (!keys.IsArray()) {
      typeFail("input.roiKeys must be an array of nRois = " + std::to_string(in.nRois) + " strings");
    }
    const Napi::Array array = keys.As<Napi::Array>();
    if (array.Length() != in.nRois) {
      argFail("input.roiKeys length " + std::to_string(array.Length()) + " does not match nRois = " +
              std::to_string(in.nRois));
    }
    in.roiKeys.reserve(in.nRois);
    for (uint32_t r = 0; r < array.Length(); r++) {
      const Napi::Value key = array.Get(r);
      const std::string name = "input.roiKeys[" + std::to_string(r) + "]";
      if (!key.IsString()) {
        typeFail(name + " must be a string");
      }
      std::string text = key.As<Napi::String>().Utf8Value();
      if (!isJsonStringLiteral(text)) {
        argFail(name + " must be a JSON string literal, quotes included (JSON.stringify(name))");
      }
      in.roiKeys.push_back(std::move(text));
    }
  }

  in.index = column(input, "index", in.n, "n");
  in.time = column(input, "time", in.n, "n");
  in.power = column(input, "power", in.n, "n");
  in.temperature = column(input, "temperature", perRoi, "n × nRois");
  in.temperatureError = column(input, "temperatureError", perRoi, "n × nRois");
  in.chi2 = column(input, "chi2", perRoi, "n × nRois");
  in.flags = asU8(input.Get("flags"), "input.flags");
  if (in.flags.length != perRoi) {
    argFail("input.flags length " + std::to_string(in.flags.length) + " does not match n × nRois = " +
            std::to_string(perRoi));
  }
  for (size_t i = 0; i < perRoi; i++) {
    if (in.flags.data[i] >> kFlagCount) {
      argFail("input.flags[" + std::to_string(i) + "] = " + std::to_string(in.flags.data[i]) +
              " has bits beyond the " + std::to_string(kFlagCount) + " of FRAME_FLAG_ORDER");
    }
  }
  in.twoColorMean = column(input, "twoColorMean", in.n, "n");
  in.twoColorStd = column(input, "twoColorStd", in.n, "n");
  const Napi::Value comma = input.Get("leadingComma");
  if (!comma.IsBoolean()) {
    typeFail("input.leadingComma must be a boolean");
  }
  in.leadingComma = comma.As<Napi::Boolean>().Value();
  return in;
}

// A fixed piece of text (a literal), without its terminating NUL.
template <size_t N>
inline char* put(char* out, const char (&text)[N]) {
  std::memcpy(out, text, N - 1);
  return out + (N - 1);
}

inline char* put(char* out, const std::string& text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

inline char* putFlags(char* out, uint8_t bits) { return put(out, kFlags.text[bits]); }

// The whole text into out (large enough: bound()). Returns the end.
char* writeFrames(const Input& in, char* out) {
  const size_t nRois = in.nRois;
  for (size_t f = 0; f < in.n; f++) {
    if (f > 0 || in.leadingComma) {
      *out++ = ',';
    }
    const size_t s = f * nRois;
    out = put(out, "{\"index\":");
    out = json::writeNumber(out, in.index.data[f]);
    out = put(out, ",\"time\":");
    out = json::writeNumber(out, in.time.data[f]);
    out = put(out, ",\"power\":");
    out = json::writeNumber(out, in.power.data[f]);
    out = put(out, ",\"temperature\":");
    out = json::writeNumber(out, in.temperature.data[s]);
    out = put(out, ",\"temperatureError\":");
    out = json::writeNumber(out, in.temperatureError.data[s]);
    out = put(out, ",\"chi2\":");
    out = json::writeNumber(out, in.chi2.data[s]);
    out = put(out, ",\"flags\":");
    out = putFlags(out, in.flags.data[s]);
    const double mean = in.twoColorMean.data[f];
    if (std::isfinite(mean)) {
      out = put(out, ",\"twoColor\":{\"mean\":");
      out = json::writeNumber(out, mean);
      out = put(out, ",\"std\":");
      out = json::writeNumber(out, in.twoColorStd.data[f]);
      *out++ = '}';
    } else {
      out = put(out, ",\"twoColor\":null");
    }
    if (nRois > 1) {
      out = put(out, ",\"rois\":{");
      for (size_t r = 0; r < nRois; r++) {
        if (r > 0) {
          *out++ = ',';
        }
        out = put(out, in.roiKeys[r]);
        out = put(out, ":{\"temperature\":");
        out = json::writeNumber(out, in.temperature.data[s + r]);
        out = put(out, ",\"temperatureError\":");
        out = json::writeNumber(out, in.temperatureError.data[s + r]);
        out = put(out, ",\"chi2\":");
        out = json::writeNumber(out, in.chi2.data[s + r]);
        out = put(out, ",\"flags\":");
        out = putFlags(out, in.flags.data[s + r]);
        *out++ = '}';
      }
      *out++ = '}';
    }
    *out++ = '}';
  }
  return out;
}

// The most bytes the text can take (an upper bound, with room for the last number's kMaxNumberChars).
double bound(const Input& in) {
  double perFrame = static_cast<double>(kFrameBound);
  if (in.nRois > 1) {
    perFrame += 16;
    for (const std::string& key : in.roiKeys) {
      perFrame += static_cast<double>(kRoiBound + key.size());
    }
  }
  return static_cast<double>(in.n) * perFrame + static_cast<double>(json::kMaxNumberChars) + 1;
}

// The scratch the text is written into before it is copied into the Buffer (kept per thread, grown as needed).
struct Scratch {
  std::unique_ptr<char[]> data;
  size_t capacity = 0;
  char* reserve(size_t bytes) {
    if (bytes > capacity) {
      data.reset();
      data.reset(new char[bytes]);
      capacity = bytes;
    }
    return data.get();
  }
};
thread_local Scratch scratch;

// Batches above this many bytes of scratch do not keep it once formatted.
constexpr size_t kKeepScratch = size_t{64} << 20;

Napi::Value FormatFramesJson(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const Input in = readInput(info);
    if (in.n == 0) {
      return Napi::Buffer<char>::New(env, 0);
    }
    const double need = bound(in);
    if (need > 4294967295.0) {
      argFail("the text of " + std::to_string(in.n) + " frames would be too large for one buffer: format fewer");
    }
    char* begin = scratch.reserve(static_cast<size_t>(need));
    char* end = writeFrames(in, begin);
    Napi::Buffer<char> out = Napi::Buffer<char>::Copy(env, begin, static_cast<size_t>(end - begin));
    if (scratch.capacity > kKeepScratch) {
      scratch.data.reset();
      scratch.capacity = 0;
    }
    return out;
  });
}

}  // namespace

void exportJson(Napi::Env env, Napi::Object exports) {
  exports.Set("formatFramesJson", Napi::Function::New(env, FormatFramesJson, "formatFramesJson"));
}

}  // namespace binding
}  // namespace pyro

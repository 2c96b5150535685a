{
  "targets": [
    {
      "target_name": "pyrolive",
      "sources": [
        "native/addon.cc", "native/args.cc", "native/single.cc", "native/batch.cc", "native/batch_binding.cc",
        "native/fit.cc", "native/frame.cc", "native/prepare.cc", "native/json_binding.cc",
        "native/assemble.cc", "native/gain.cc", "native/calibration.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-trapping-math", "-fno-math-errno", "-fopenmp-simd", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-trapping-math", "-fno-math-errno", "-fopenmp-simd"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}

{
  "targets": [
    {
      "target_name": "goodhart_native",
      "sources": [
        "csrc/binding.cc",
        "csrc/model.cc",
        "csrc/gemm.cc",
        "csrc/gemm_bf16.cc",
        "csrc/precision.cc",
        "csrc/threadpool.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++14", "-std=c++14", "-std=gnu++1y", "-std=gnu++20"],
      "cflags": ["-O3", "-pthread", "-fno-math-errno"],
      "cflags_cc": ["-O3", "-std=c++17", "-pthread", "-fno-math-errno", "-fexceptions"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "10.15",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fno-math-errno", "-fexceptions"]
          }
        }]
      ]
    }
  ]
}

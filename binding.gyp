# node-gyp entry over the same sources as CMakeLists.txt (the lists are in native/sources.json)
# and the same libtorch discovery (scripts/find-libtorch.js). Without NCCL: a CMake build adds it.
# No rpath, as with CMake: lib/addon_loader.ts loads libtorch before the addon.
{
  "targets": [
    {
      "target_name": "bertrun",
      "sources": [
        "<!@(node -p \"const s = require('./native/sources.json'); [...s.core, ...s.addon, ...s.withoutNccl].join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "native/dist/gloo_declarations",
        "<!@(node scripts/find-libtorch.js --include-dirs)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "USE_C10D_GLOO=1",
        "BERTRUN_TORCH_VERSION=\"<!(node scripts/find-libtorch.js --version)\""
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": [
        "-std=c++17", "-fexceptions", "-frtti", "-O2",
        "-ffile-prefix-map=<!(node scripts/find-libtorch.js --root)=libtorch",
        "-ffile-prefix-map=<(module_root_dir)=bertrun",
        "-include", "<(module_root_dir)/native/common/glibc_floor.h",
        "<!@(node scripts/find-libtorch.js --cxx-flags)"
      ],
      "libraries": [
        "-L<!(node scripts/find-libtorch.js --lib-dir)",
        "-lc10",
        "-ltorch_cpu",
        "-ltorch"
      ],
      "conditions": [
        ["'<!(node scripts/find-libtorch.js --cuda)'=='1'", {
          "defines": ["BERTRUN_WITH_CUDA=1"],
          "libraries": ["-Wl,--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Wl,--as-needed"]
        }]
      ],
      "actions": [
        {
          "action_name": "record_libtorch",
          "inputs": ["<(module_root_dir)/scripts/find-libtorch.js"],
          "outputs": ["<(module_root_dir)/build/bertrun-build.json"],
          "action": ["sh", "-c", "node <(module_root_dir)/scripts/find-libtorch.js --json > <(module_root_dir)/build/bertrun-build.json"]
        }
      ]
    }
  ]
}

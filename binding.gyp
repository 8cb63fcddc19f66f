{
  "targets": [
    {
      "target_name": "bertrun",
      "sources": [
        "native/model/activation_checkpoint.cc",
        "native/model/bert.cc",
        "native/model/dropout.cc",
        "native/model/heads.cc",
        "native/train/adamw.cc",
        "native/train/grad_clip.cc",
        "native/train/grad_scaler.cc",
        "native/common/error_message.cc",
        "native/common/compute_thread.cc",
        "native/common/tensor_convert.cc",
        "native/bindings/batch.cc",
        "native/bindings/model_binding.cc",
        "native/bindings/rng_binding.cc",
        "native/bindings/process_group_binding.cc",
        "native/bindings/addon.cc",
        "native/dist/heartbeat.cc",
        "native/dist/process_group.cc",
        "native/dist/gradient_sync.cc",
        "native/dist/nccl_unavailable.cc"
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
        "<!@(node scripts/find-libtorch.js --cxx-flags)"
      ],
      "libraries": [
        "-L<!(node scripts/find-libtorch.js --lib-dir)",
        "-Wl,-rpath,<!(node scripts/find-libtorch.js --lib-dir)",
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

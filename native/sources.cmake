# Sources shared by the addon and the standalone benchmark, and the libtorch wiring.
set(BERTRUN_CORE_SOURCES
  native/model/bert.cc
  native/model/dropout.cc
  native/model/heads.cc
  native/train/adamw.cc
  native/train/grad_clip.cc)

set(BERTRUN_BINDING_SOURCES
  native/common/error_message.cc
  native/common/compute_thread.cc
  native/common/tensor_convert.cc
  native/bindings/batch.cc
  native/bindings/model_binding.cc
  native/bindings/rng_binding.cc
  native/bindings/addon.cc)

function(bertrun_use_libtorch target)
  target_include_directories(${target} SYSTEM PRIVATE
    "${TORCH_ROOT}/include"
    "${TORCH_ROOT}/include/torch/csrc/api/include")
  target_link_directories(${target} PRIVATE "${TORCH_LIB_DIR}")
  set(libs c10 torch_cpu torch)
  if(TORCH_HAS_CUDA)
    # Without --no-as-needed the linker drops libtorch_cuda (nothing references it by symbol),
    # its kernels are never registered, and every CUDA op fails at run time.
    target_link_options(${target} PRIVATE "-Wl,--no-as-needed" "${TORCH_LIB_DIR}/libtorch_cuda.so" "${TORCH_LIB_DIR}/libc10_cuda.so" "-Wl,--as-needed")
    target_compile_definitions(${target} PRIVATE BERTRUN_WITH_CUDA=1)
  endif()
  target_link_libraries(${target} PRIVATE ${libs})
  # The only build-machine path in the binary: the discovered libtorch lib dir.
  set_target_properties(${target} PROPERTIES
    BUILD_RPATH "${TORCH_LIB_DIR}"
    INSTALL_RPATH "${TORCH_LIB_DIR}"
    SKIP_BUILD_RPATH FALSE)
  # __FILE__ in torch's inline code and ours must not carry build-machine paths into the binary.
  target_compile_options(${target} PRIVATE -Wall -Wno-unused-parameter
    "-ffile-prefix-map=${TORCH_ROOT}=libtorch" "-ffile-prefix-map=${CMAKE_SOURCE_DIR}=bertrun")
endfunction()

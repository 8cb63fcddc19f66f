# Sources shared by the addon and the standalone benchmark, and the libtorch wiring.
set(BERTRUN_CORE_SOURCES
  native/model/activation_checkpoint.cc
  native/model/bert.cc
  native/model/dropout.cc
  native/model/heads.cc
  native/train/adamw.cc
  native/train/grad_clip.cc
  native/train/grad_scaler.cc)

set(BERTRUN_BINDING_SOURCES
  native/common/error_message.cc
  native/common/compute_thread.cc
  native/common/tensor_convert.cc
  native/bindings/batch.cc
  native/bindings/model_binding.cc
  native/bindings/rng_binding.cc
  native/bindings/process_group_binding.cc
  native/bindings/addon.cc
  native/dist/heartbeat.cc
  native/dist/process_group.cc
  native/dist/gradient_sync.cc)

# NCCL (CUDA libtorch only): its c10d header needs NCCL's headers (PyPI nvidia-nccl, installed
# next to torch) and the full CUDA runtime headers (crt/ comes with nvidia-cuda-nvcc or a CUDA
# toolkit). Without them the nccl backend reports that this build lacks it.
set(BERTRUN_NCCL_INCLUDE_DIRS "")
if(TORCH_HAS_CUDA)
  file(GLOB BERTRUN_NVIDIA_INCLUDE_DIRS LIST_DIRECTORIES true "${TORCH_ROOT}/../nvidia/*/include")
  foreach(dir ${BERTRUN_NVIDIA_INCLUDE_DIRS})
    if(EXISTS "${dir}/nccl.h")
      set(BERTRUN_HAS_NCCL_HEADER ON)
    endif()
    # cuda_runtime.h needs crt/ (nvidia-cuda-nvcc or a CUDA toolkit), which the wheel lacks.
    if(EXISTS "${dir}/crt/host_config.h")
      set(BERTRUN_HAS_CUDA_RUNTIME_HEADERS ON)
    endif()
  endforeach()
  if(BERTRUN_HAS_NCCL_HEADER AND BERTRUN_HAS_CUDA_RUNTIME_HEADERS)
    set(BERTRUN_NCCL_INCLUDE_DIRS ${BERTRUN_NVIDIA_INCLUDE_DIRS})
  endif()
endif()
if(BERTRUN_NCCL_INCLUDE_DIRS)
  list(APPEND BERTRUN_BINDING_SOURCES native/dist/nccl_backend.cc)
  set_source_files_properties(native/dist/nccl_backend.cc PROPERTIES
    COMPILE_DEFINITIONS "USE_C10D_NCCL=1;USE_CUDA=1"
    INCLUDE_DIRECTORIES "${BERTRUN_NCCL_INCLUDE_DIRS}"
    SKIP_PRECOMPILE_HEADERS ON)
else()
  list(APPEND BERTRUN_BINDING_SOURCES native/dist/nccl_unavailable.cc)
endif()

function(bertrun_use_libtorch target)
  target_include_directories(${target} SYSTEM PRIVATE
    "${TORCH_ROOT}/include"
    "${TORCH_ROOT}/include/torch/csrc/api/include"
    # c10d's ProcessGroupGloo.hpp includes Gloo headers the wheel lacks: see the README there.
    "${CMAKE_SOURCE_DIR}/native/dist/gloo_declarations")
  target_compile_definitions(${target} PRIVATE USE_C10D_GLOO=1)
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

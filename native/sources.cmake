# The source lists, and the libtorch wiring. The lists live in native/sources.json, which
# binding.gyp reads too: "core" (the model and training code, shared by the addon and the
# standalone benchmark), "addon" (the Node-API bindings, common helpers and c10d), and the one
# file that provides the NCCL backend ("withNccl") or reports that this build lacks it ("withoutNccl").
set(BERTRUN_SOURCES_FILE "${CMAKE_CURRENT_LIST_DIR}/sources.json")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${BERTRUN_SOURCES_FILE}")
file(READ "${BERTRUN_SOURCES_FILE}" BERTRUN_SOURCES_JSON)

# out = the list named key in sources.json.
function(bertrun_read_sources out key)
  string(JSON count LENGTH "${BERTRUN_SOURCES_JSON}" ${key})
  set(sources "")
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      string(JSON source GET "${BERTRUN_SOURCES_JSON}" ${key} ${i})
      list(APPEND sources ${source})
    endforeach()
  endif()
  set(${out} ${sources} PARENT_SCOPE)
endfunction()

bertrun_read_sources(BERTRUN_CORE_SOURCES core)
bertrun_read_sources(BERTRUN_BINDING_SOURCES addon)
bertrun_read_sources(BERTRUN_WITH_NCCL_SOURCES withNccl)
bertrun_read_sources(BERTRUN_WITHOUT_NCCL_SOURCES withoutNccl)

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
  list(APPEND BERTRUN_BINDING_SOURCES ${BERTRUN_WITH_NCCL_SOURCES})
  set_source_files_properties(${BERTRUN_WITH_NCCL_SOURCES} PROPERTIES
    COMPILE_DEFINITIONS "USE_C10D_NCCL=1;USE_CUDA=1"
    INCLUDE_DIRECTORIES "${BERTRUN_NCCL_INCLUDE_DIRS}"
    COMPILE_OPTIONS "-include;${CMAKE_CURRENT_LIST_DIR}/common/glibc_floor.h"
    SKIP_PRECOMPILE_HEADERS ON)
else()
  list(APPEND BERTRUN_BINDING_SOURCES ${BERTRUN_WITHOUT_NCCL_SOURCES})
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
  # No rpath: the addon must not point at the build machine. lib/native_loader finds libtorch at
  # run time and loads it before the addon (the standalone benchmark sets its own rpath).
  set_target_properties(${target} PROPERTIES SKIP_BUILD_RPATH TRUE INSTALL_RPATH "")
  # __FILE__ in torch's inline code and ours must not carry build-machine paths into the binary.
  target_compile_options(${target} PRIVATE -Wall -Wno-unused-parameter
    "-ffile-prefix-map=${TORCH_ROOT}=libtorch" "-ffile-prefix-map=${CMAKE_SOURCE_DIR}=bertrun")
endfunction()

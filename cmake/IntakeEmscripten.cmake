# Refuses to configure a wasm build with any Emscripten other than the one pinned in emsdk.lock,
# and sets the flags every Emscripten target of the project shares.
if(NOT EMSCRIPTEN)
  return()
endif()

file(STRINGS ${CMAKE_SOURCE_DIR}/emsdk.lock INTAKE_EMSDK_PINNED LIMIT_COUNT 1)
string(STRIP "${INTAKE_EMSDK_PINNED}" INTAKE_EMSDK_PINNED)
execute_process(COMMAND ${CMAKE_CXX_COMPILER} --version OUTPUT_VARIABLE _emcc_out ERROR_QUIET)
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" INTAKE_EMCC_VERSION "${_emcc_out}")
if(NOT INTAKE_EMCC_VERSION STREQUAL INTAKE_EMSDK_PINNED)
  message(FATAL_ERROR
    "Intake's wasm build needs Emscripten ${INTAKE_EMSDK_PINNED} (pinned in emsdk.lock), "
    "but ${CMAKE_CXX_COMPILER} is version '${INTAKE_EMCC_VERSION}'.\n"
    "Install it with: apt-get install emscripten (Debian 12 ships ${INTAKE_EMSDK_PINNED}), "
    "or run scripts/setup.sh, then configure again with: cmake --preset wasm")
endif()
message(STATUS "Emscripten ${INTAKE_EMCC_VERSION} matches emsdk.lock")

# Debian's emcc runs its JS optimizer with /usr/bin/node, which needs Debian's acorn.
set(ENV{NODE_PATH} /usr/share/nodejs)
# Wasm features every supported browser and Node 20 have: SIMD; bulk memory, so memcpy/memset
# are single memory.copy/fill instructions (the core copies much); non-trapping float-to-int.
# Full link-time optimization of every object (this -flto comes after, so it overrides, the
# -flto=thin of intake_core's INTERPROCEDURAL_OPTIMIZATION): with thin LTO, or with the module's
# objects left out of LTO, -mbulk-memory fails to link ("'atomics' feature must be used in order
# to use thread-local storage", from the C library).
add_compile_options(-msimd128 -mbulk-memory -mnontrapping-fptoint -flto)
add_link_options(-flto)

# Header-only libraries from Debian's packages. Emscripten's toolchain confines find_package to
# its sysroot, and adding /usr/include would mix glibc headers into the wasm build, so each
# library's own folder is linked into a private include directory instead.
set(_intake_wasm_include ${CMAKE_BINARY_DIR}/debian-headers)
foreach(_lib nlohmann doctest)
  if(NOT EXISTS /usr/include/${_lib})
    message(FATAL_ERROR "/usr/include/${_lib} is missing: run scripts/setup.sh")
  endif()
  file(MAKE_DIRECTORY ${_intake_wasm_include})
  file(CREATE_LINK /usr/include/${_lib} ${_intake_wasm_include}/${_lib} SYMBOLIC)
endforeach()
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED GLOBAL)
target_include_directories(nlohmann_json::nlohmann_json INTERFACE ${_intake_wasm_include})
add_library(doctest::doctest INTERFACE IMPORTED GLOBAL)
target_include_directories(doctest::doctest INTERFACE ${_intake_wasm_include})

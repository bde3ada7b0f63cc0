# Compiler settings shared by every target: warnings, sanitizers, ccache.

find_program(MCPCERT_CCACHE ccache)
if(MCPCERT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${MCPCERT_CCACHE}")
endif()

set(MCPCERT_SANITIZE "" CACHE STRING "Sanitizers to build with: empty, 'address;undefined' or 'thread'")

add_library(mcpcert_warnings INTERFACE)
target_compile_options(mcpcert_warnings INTERFACE -Wall -Wextra -Wpedantic)
# g++ 12 reports Asio's coroutine frame allocator (operator new/delete with a
# size, on awaitable frames) as mismatched: a known false positive.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(mcpcert_warnings INTERFACE -Wno-mismatched-new-delete)
endif()
if(MCPCERT_WERROR)
  target_compile_options(mcpcert_warnings INTERFACE -Werror)
endif()

if(MCPCERT_SANITIZE)
  # Sanitizer instrumentation makes g++ 12's -Wmaybe-uninitialized fire on
  # std::optional members (GCC bug 105562 and kin); the plain build keeps it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(mcpcert_warnings INTERFACE -Wno-maybe-uninitialized)
  endif()
  # Asio's handler fences (std_fenced_block) are std::atomic_thread_fence,
  # which ThreadSanitizer does not model, and g++ says so at every handler
  # (-Wtsan). Nothing of ours uses a fence; the happens-before TSan checks
  # comes from the scheduler's mutex and atomics, so the note is only noise.
  if("thread" IN_LIST MCPCERT_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(mcpcert_warnings INTERFACE -Wno-tsan)
  endif()
  list(JOIN MCPCERT_SANITIZE "," _mcpcert_san)
  add_compile_options(-fsanitize=${_mcpcert_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_mcpcert_san})
endif()

# The tsan test preset sends every process's reports here (log_path), so
# races in the servers an integration test starts are not lost with their stderr.
if("thread" IN_LIST MCPCERT_SANITIZE)
  file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/reports")
endif()

# libFuzzer (the `fuzz` preset, clang only): every object gets coverage
# instrumentation; only the fuzz targets link libFuzzer's main (tests/fuzz).
option(MCPCERT_FUZZ "Build tests/fuzz as libFuzzer fuzzers (clang)" OFF)
if(MCPCERT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MCPCERT_FUZZ needs clang (libFuzzer); configure with the 'fuzz' preset")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
# clang 14's -fsanitize=function puts prologue data on the split functions of
# a coroutine that the assembler can't encode ("Cannot represent a difference
# across sections"), so clang builds leave that one UBSan check out.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND "undefined" IN_LIST MCPCERT_SANITIZE)
  add_compile_options(-fno-sanitize=function)
endif()

# Every project target calls this so the flags live in one place.
function(mcpcert_target_defaults target)
  target_link_libraries(${target} PRIVATE mcpcert_warnings)
endfunction()

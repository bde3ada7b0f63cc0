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
  target_compile_options(mcpcert_warnings INTERFACE -Wno-maybe-uninitialized)
  list(JOIN MCPCERT_SANITIZE "," _mcpcert_san)
  add_compile_options(-fsanitize=${_mcpcert_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_mcpcert_san})
endif()

# Every project target calls this so the flags live in one place.
function(mcpcert_target_defaults target)
  target_link_libraries(${target} PRIVATE mcpcert_warnings)
endfunction()

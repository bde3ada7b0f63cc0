# Every dependency comes from Debian 12 packages; cmake/bootstrap.sh installs them.

find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS url)
find_package(OpenSSL 3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
if(MCPCERT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MCPCERT_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# The programs allocate with tcmalloc (Debian's tcmalloc_minimal): glibc's
# allocator spends a large share of the servers' CPU in its own bookkeeping and
# fragments under the tenant's long-lived state and 1 MB replies
# (docs/performance.md). Sanitizer and fuzz builds keep the system allocator,
# which their runtimes replace. Only executables link mcpcert_allocator.
set(MCPCERT_ALLOCATOR "tcmalloc" CACHE STRING "Heap allocator of the programs: tcmalloc or system")
set_property(CACHE MCPCERT_ALLOCATOR PROPERTY STRINGS tcmalloc system)
add_library(mcpcert_allocator INTERFACE)
if(NOT MCPCERT_ALLOCATOR MATCHES "^(tcmalloc|system)$")
  message(FATAL_ERROR "MCPCERT_ALLOCATOR must be 'tcmalloc' or 'system', not '${MCPCERT_ALLOCATOR}'")
endif()
if(MCPCERT_ALLOCATOR STREQUAL "tcmalloc" AND NOT MCPCERT_SANITIZE AND NOT MCPCERT_FUZZ)
  find_library(MCPCERT_TCMALLOC_LIBRARY NAMES tcmalloc_minimal)
  if(NOT MCPCERT_TCMALLOC_LIBRARY)
    message(FATAL_ERROR "MCPCERT_ALLOCATOR=tcmalloc: libtcmalloc_minimal not found; "
                        "install Debian's libgoogle-perftools-dev (cmake/bootstrap.sh does) or configure with -DMCPCERT_ALLOCATOR=system")
  endif()
  # --no-as-needed: the programs never name a tcmalloc symbol, and the
  # linker's default --as-needed could otherwise drop the library.
  target_link_libraries(mcpcert_allocator INTERFACE "-Wl,--push-state,--no-as-needed" "${MCPCERT_TCMALLOC_LIBRARY}" "-Wl,--pop-state")
  # For the tests that check what tcmalloc does (mcpcert/heap.hpp).
  target_compile_definitions(mcpcert_allocator INTERFACE MCPCERT_ALLOCATOR_TCMALLOC=1)
endif()

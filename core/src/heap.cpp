#include "mcpcert/heap.hpp"

#include <malloc.h>

// Weak: defined only when tcmalloc is linked into the program (executables
// link it; libraries and sanitizer builds don't), so core needs no header or
// library of its own to use it.
extern "C" void MallocExtension_ReleaseFreeMemory(void) __attribute__((weak));

namespace mcpcert {

void return_free_heap_to_os() {
  if (MallocExtension_ReleaseFreeMemory != nullptr) {
    MallocExtension_ReleaseFreeMemory();
  } else {
    ::malloc_trim(0);
  }
}

} // namespace mcpcert

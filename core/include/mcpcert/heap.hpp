#pragma once
/// Returning freed heap memory to the operating system.
///
/// The programs allocate with tcmalloc (cmake/Dependencies.cmake), which
/// keeps freed pages for reuse: after a burst of large tool results the
/// connector holds them (about 120 MiB after the bench's 2.3 MB replies)
/// though it no longer uses them. Returned once a minute, the memory a
/// quiet server holds follows what it uses, at the cost of faulting pages
/// back in if the next burst needs them.

namespace mcpcert {

/// Hands every free page of the heap back to the operating system: tcmalloc's
/// page heap when tcmalloc is the allocator, glibc's arenas (malloc_trim) otherwise.
void return_free_heap_to_os();

} // namespace mcpcert

#include "mcpcert/heap.hpp"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace mcpcert {
namespace {

long resident_kib() {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

TEST(Heap, FreedPagesGoBackToTheSystem) {
#ifndef MCPCERT_ALLOCATOR_TCMALLOC
  GTEST_SKIP() << "built with the system allocator, which unmaps blocks this large as they are freed";
#endif
  constexpr long block = 1 << 20;
  constexpr int blocks = 64;
  const auto before = resident_kib();
  {
    std::vector<std::unique_ptr<char[]>> held;
    for (int i = 0; i < blocks; ++i) {
      held.emplace_back(new char[block]);
      std::memset(held.back().get(), 1, block);
      asm volatile("" : : "r"(held.back().get()) : "memory");
    }
  }
  const auto after_free = resident_kib();
  // The premise: tcmalloc keeps what was freed.
  ASSERT_GT(after_free, before + blocks * 1024 * 3 / 4) << "before " << before << " KiB";
  return_free_heap_to_os();
  EXPECT_LT(resident_kib(), after_free - blocks * 1024 * 3 / 4) << "held " << after_free << " KiB";
}

} // namespace
} // namespace mcpcert

#pragma once
// A fresh directory per test for state databases, removed afterwards.

#include <filesystem>
#include <string>

#include <unistd.h>

namespace mcpcert::backend::test_world {

class StateDirectory {
public:
  StateDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpcert-state-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~StateDirectory() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  StateDirectory(const StateDirectory&) = delete;
  StateDirectory& operator=(const StateDirectory&) = delete;
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

} // namespace mcpcert::backend::test_world

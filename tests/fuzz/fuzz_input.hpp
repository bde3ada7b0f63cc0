#pragma once
// Helpers shared by the fuzz targets.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

#include <unistd.h>

namespace mcpcert::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Splits at the first newline: several targets take two inputs in one.
inline std::pair<std::string_view, std::string_view> split_line(std::string_view text) {
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return {text, {}};
  return {text.substr(0, newline), text.substr(newline + 1)};
}

/// The loaders under test read files, not buffers; one file per process
/// (named by pid) keeps parallel fuzzing jobs apart.
inline std::filesystem::path write_temp_file(std::string_view bytes, std::string_view extension) {
  auto file = std::filesystem::temp_directory_path() /
              ("mcpcert-fuzz-" + std::to_string(::getpid()) + std::string(extension));
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return file;
}

} // namespace mcpcert::fuzz

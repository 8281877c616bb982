// Replays a fuzz corpus through LLVMFuzzerTestOneInput when libFuzzer is not linked (g++ builds).
// Usage: <fuzzer> <file-or-directory>...  Exit status 0 when every input ran.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static void runFile(const std::filesystem::path& path, int& count) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ++count;
}

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p)) {
        if (entry.is_regular_file()) runFile(entry.path(), count);
      }
    } else if (std::filesystem::exists(p)) {
      runFile(p, count);
    }
  }
  // Always exercise the empty input as well.
  LLVMFuzzerTestOneInput(nullptr, 0);
  std::printf("replayed %d corpus inputs\n", count);
  return 0;
}

// Prints a Parquet file's row count as the footer reader sees it (from the
// file's end only), for the tests that check it against other writers.
// Exit 0 with "num_rows=<n>", 1 with the reader's error.
#include <fstream>
#include <iostream>
#include <string>

#include "edgestream/parquet/footer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: parquet_footer_tool FILE.parquet\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    std::cerr << argv[1] << ": cannot read\n";
    return 2;
  }
  auto needed = edgestream::parquet::footer_bytes_needed(bytes, bytes.size());
  if (!needed) {
    std::cerr << argv[1] << ": " << needed.error().message() << "\n";
    return 1;
  }
  // Hand the reader only the footer, as the auditor does with a ranged GET.
  auto summary = edgestream::parquet::read_footer_summary(
      std::string_view(bytes).substr(bytes.size() - needed.value()));
  if (!summary) {
    std::cerr << argv[1] << ": " << summary.error().message() << "\n";
    return 1;
  }
  std::cout << "num_rows=" << summary.value().num_rows << "\n";
  return 0;
}

// The number of ReportItem elements in a .nessus file, counted in its text
// with no XML parser: an independent figure to check what a parser found.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

namespace scanorch::testing {

inline std::uint64_t report_item_tags(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::uint64_t n = 0;
    for (auto at = text.find("<ReportItem"); at != std::string::npos; at = text.find("<ReportItem", at + 1)) {
        const char next = at + 11 < text.size() ? text[at + 11] : '\0';
        if (next == ' ' || next == '>' || next == '\n' || next == '\t' || next == '\r') ++n;
    }
    return n;
}

}  // namespace scanorch::testing

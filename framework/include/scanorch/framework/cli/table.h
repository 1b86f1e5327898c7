// Aligned text tables for people (scanorchd plugins, scanorchctl).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace scanorch::framework::cli {

class Table {
public:
    explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::size_t size() const noexcept { return rows_.size() - 1; }
    /// Columns separated by two spaces; the last column is not padded.
    void print(std::ostream& out) const;

private:
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace scanorch::framework::cli

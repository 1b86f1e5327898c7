#include "scanorch/framework/cli/table.h"

#include <algorithm>

namespace scanorch::framework::cli {

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> width;
    for (const auto& r : rows_) {
        if (width.size() < r.size()) width.resize(r.size(), 0);
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    for (const auto& r : rows_) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
        }
        out << line << '\n';
    }
}

}  // namespace scanorch::framework::cli

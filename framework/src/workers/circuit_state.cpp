#include "scanorch/framework/workers/circuit_state.h"

#include <charconv>

#include "scanorch/framework/tasks/shared_keys.h"

namespace scanorch::framework {
namespace {

std::optional<sdk::CircuitState> parse_state(std::string_view s) {
    for (auto c : {sdk::CircuitState::closed, sdk::CircuitState::open, sdk::CircuitState::half_open}) {
        if (s == sdk::to_string(c)) return c;
    }
    return std::nullopt;
}

template <class T>
std::optional<T> parse_number(std::string_view s) {
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

sdk::Result<CircuitInfo> decoded(const std::string& scanner, const std::optional<std::string>& text) {
    if (!text) return CircuitInfo{};
    auto c = decode_circuit(*text);
    if (!c) {
        return sdk::Error::internal("circuit state of scanner '" + scanner + "' (" + shared_keys::circuit(scanner) +
                                    ") is not '<state> <failures> <opened_at_ms>': '" + text->substr(0, 80) + "'");
    }
    return *c;
}

}  // namespace

std::string encode_circuit(const CircuitInfo& c) {
    return std::string(sdk::to_string(c.state)) + " " + std::to_string(c.consecutive_failures) + " " +
           std::to_string(c.opened_at_ms);
}

std::optional<CircuitInfo> decode_circuit(const std::string& text) {
    const auto a = text.find(' ');
    const auto b = a == std::string::npos ? a : text.find(' ', a + 1);
    if (b == std::string::npos) return std::nullopt;
    const std::string_view all(text);
    auto state = parse_state(all.substr(0, a));
    auto failures = parse_number<std::uint32_t>(all.substr(a + 1, b - a - 1));
    auto opened = parse_number<std::int64_t>(all.substr(b + 1));
    if (!state || !failures || !opened) return std::nullopt;
    return CircuitInfo{*state, *failures, *opened};
}

sdk::Result<CircuitInfo> read_circuit(sdk::SharedState& state, const std::string& scanner) {
    auto v = state.kv_get(shared_keys::circuit(scanner));
    if (!v) return std::move(v).error();
    return decoded(scanner, *v);
}

sdk::Result<std::vector<CircuitInfo>> read_circuits(sdk::SharedState& state, const std::vector<std::string>& scanners) {
    if (scanners.empty()) return std::vector<CircuitInfo>{};
    std::vector<std::string> keys;
    keys.reserve(scanners.size());
    for (const auto& s : scanners) keys.push_back(shared_keys::circuit(s));
    auto values = state.kv_get_many(keys);
    if (!values) return std::move(values).error();
    if (values->size() != scanners.size()) {
        return sdk::Error::internal("the queue backend answered " + std::to_string(values->size()) + " values for " +
                                    std::to_string(scanners.size()) + " circuit keys");
    }
    std::vector<CircuitInfo> out;
    out.reserve(scanners.size());
    for (std::size_t i = 0; i < scanners.size(); ++i) {
        auto c = decoded(scanners[i], (*values)[i]);
        if (!c) return std::move(c).error();
        out.push_back(*c);
    }
    return out;
}

sdk::Result<void> write_circuit(sdk::SharedState& state, const std::string& scanner, const CircuitInfo& c) {
    return state.kv_set(shared_keys::circuit(scanner), encode_circuit(c), 0);
}

}  // namespace scanorch::framework

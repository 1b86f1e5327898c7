#include "scanorch/framework/workers/circuit_state.h"

#include <spdlog/spdlog.h>

#include <algorithm>
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

CircuitInfo decoded(const std::string& scanner, const std::optional<std::string>& text) {
    if (!text) return CircuitInfo{};
    auto c = decode_circuit(*text);
    if (!c) {
        spdlog::warn(
            "circuit state of scanner '{}' ({}) is not '<state> <failures> <opened_at_ms> [<owner>]': '{}'; read as "
            "closed until the breaker writes it again",
            scanner, shared_keys::circuit(scanner), text->substr(0, 80));
        return CircuitInfo{};
    }
    return *c;
}

}  // namespace

std::string encode_circuit(const CircuitInfo& c) {
    std::string text = std::string(sdk::to_string(c.state)) + " " + std::to_string(c.consecutive_failures) + " " +
                       std::to_string(c.opened_at_ms);
    if (c.owner != 0) text += " " + std::to_string(c.owner);
    return text;
}

std::optional<CircuitInfo> decode_circuit(const std::string& text) {
    const auto a = text.find(' ');
    const auto b = a == std::string::npos ? a : text.find(' ', a + 1);
    if (b == std::string::npos) return std::nullopt;
    const std::string_view all(text);
    const auto d = all.find(' ', b + 1);  // the owner, when there is one
    const auto state = parse_state(all.substr(0, a));
    if (!state) return std::nullopt;
    auto failures = parse_number<std::uint32_t>(all.substr(a + 1, b - a - 1));
    auto opened = parse_number<std::int64_t>(all.substr(b + 1, d == std::string_view::npos ? d : d - b - 1));
    std::uint64_t owner = 0;
    if (d != std::string_view::npos) {
        // Only a trial has an owner, and encode_circuit never writes a zero one.
        const auto o = parse_number<std::uint64_t>(all.substr(d + 1));
        if (!o || *o == 0 || *state != sdk::CircuitState::half_open) return std::nullopt;
        owner = *o;
    }
    if (!failures || !opened || *opened < 0 || *opened > kMaxCircuitStampMs) return std::nullopt;
    return CircuitInfo{*state, *failures, *opened, owner};
}

sdk::Result<CircuitRead> read_circuit(sdk::SharedState& state, const std::string& scanner) {
    auto v = state.kv_get(shared_keys::circuit(scanner));
    if (!v) return std::move(v).error();
    return CircuitRead{decoded(scanner, *v), std::move(*v)};
}

sdk::Result<std::vector<CircuitInfo>> read_circuits(sdk::SharedState& state, const std::vector<std::string>& scanners) {
    if (scanners.empty()) return std::vector<CircuitInfo>{};
    // In chunks: one backend step holds the backend for the whole step.
    constexpr std::size_t kChunk = 1000;
    std::vector<std::optional<std::string>> all;
    all.reserve(scanners.size());
    for (std::size_t from = 0; from < scanners.size(); from += kChunk) {
        std::vector<std::string> keys;
        for (std::size_t i = from; i < std::min(scanners.size(), from + kChunk); ++i) {
            keys.push_back(shared_keys::circuit(scanners[i]));
        }
        auto values = state.kv_get_many(keys);
        if (!values) return std::move(values).error();
        if (values->size() != keys.size()) {
            return sdk::Error::internal("the queue backend answered " + std::to_string(values->size()) +
                                        " values for " + std::to_string(keys.size()) + " circuit keys");
        }
        for (auto& v : *values) all.push_back(std::move(v));
    }
    const auto* values = &all;
    std::vector<CircuitInfo> out;
    out.reserve(scanners.size());
    for (std::size_t i = 0; i < scanners.size(); ++i) out.push_back(decoded(scanners[i], (*values)[i]));
    return out;
}

sdk::Result<bool> replace_circuit(sdk::SharedState& state, const std::string& scanner, const CircuitRead& read,
                                  const CircuitInfo& next) {
    return state.kv_compare_and_set(shared_keys::circuit(scanner), read.raw, encode_circuit(next), 0);
}

}  // namespace scanorch::framework

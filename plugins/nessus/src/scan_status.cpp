#include "scan_status.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/Parser.h>

#include <cstdint>
#include <exception>
#include <vector>

namespace scanorch::nessus {

namespace {

// Follows where the parser is (the key path of the open containers) and
// keeps the values a poll reads; everything else passes by unbuilt.
class StatusHandler final : public Poco::JSON::Handler {
public:
    ScanStatus out;
    bool saw_info = false;

    void reset() override {
        out = {};
        saw_info = false;
        open_.clear();
    }
    void startObject() override { open(false); }
    void endObject() override { close(); }
    void startArray() override { open(true); }
    void endArray() override { close(); }
    void key(const std::string& k) override {
        if (!open_.empty()) open_.back().current_key = k;
    }
    void null() override {}
    void value(int v) override { number(static_cast<double>(v)); }
    void value(unsigned v) override { number(static_cast<double>(v)); }
    void value(Poco::Int64 v) override { number(static_cast<double>(v)); }
    void value(Poco::UInt64 v) override { number(static_cast<double>(v)); }
    void value(double d) override { number(d); }
    void value(bool) override {}
    void value(const std::string& s) override {
        if (in_info() && open_.back().current_key == "status") out.status = s;
    }

private:
    struct Frame {
        bool array;
        std::string key;  ///< its key in the enclosing object ("" in an array or at the root)
        std::string current_key;
    };

    void open(bool array) {
        const bool parent_is_object = !open_.empty() && !open_.back().array;
        open_.push_back({array, parent_is_object ? open_.back().current_key : std::string(), {}});
        if (in_info()) saw_info = true;
        if (!array && open_.size() == 3 && in_hosts()) ++out.hosts;
    }
    void close() {
        if (!open_.empty()) open_.pop_back();
    }
    // {"info": {...}} at the top.
    bool in_info() const { return open_.size() == 2 && !open_[0].array && !open_[1].array && open_[1].key == "info"; }
    // Inside {"hosts": [...]} at the top (open_[1] is that array).
    bool in_hosts() const { return open_.size() > 1 && !open_[0].array && open_[1].array && open_[1].key == "hosts"; }
    void number(double v) {
        // A host's own counters: {"hosts": [{"scanprogresscurrent": N, ...}]}.
        if (open_.size() != 3 || open_[2].array || !in_hosts()) return;
        // Real counters are in the thousands; anything negative, absurd or
        // not a number is the scanner's error and counts as nothing (and a
        // double beyond uint64 must never be converted).
        if (!(v >= 0 && v <= kMaxCounter)) return;
        const auto& k = open_[2].current_key;
        if (k == "scanprogresscurrent") add(out.progress_current, v);
        if (k == "scanprogresstotal") add(out.progress_total, v);
    }
    static void add(std::uint64_t& sum, double v) {
        const auto n = static_cast<std::uint64_t>(v);
        sum = sum > UINT64_MAX - n ? UINT64_MAX : sum + n;
    }
    static constexpr double kMaxCounter = 1e12;

    std::vector<Frame> open_;
};

}  // namespace

sdk::Result<ScanStatus> read_scan_status(const std::string& body, const std::string& what) {
    Poco::SharedPtr<StatusHandler> handler = new StatusHandler;
    try {
        Poco::JSON::Parser parser(handler);
        parser.parse(body);
    } catch (const Poco::Exception& e) {
        return sdk::Error::transient(what + ": the answer is not JSON (" + e.displayText() + ")");
    } catch (const std::exception& e) {
        return sdk::Error::transient(what + ": the answer could not be read (" + e.what() + ")");
    }
    if (!handler->saw_info) return sdk::Error::transient(what + ": no info in the answer");
    return handler->out;
}

}  // namespace scanorch::nessus

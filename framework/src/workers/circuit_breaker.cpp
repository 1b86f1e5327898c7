#include "scanorch/framework/workers/circuit_breaker.h"

#include <spdlog/spdlog.h>

#include "scanorch/framework/runtime/clock.h"

namespace scanorch::framework {

std::optional<CircuitInfo> CircuitBreaker::read() {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mu_);
        if (closed_ && Clock::now() - closed_at_ < kClosedFresh) return closed_;
        generation = generation_;
    }
    auto c = read_circuit(*queue_, scanner_);
    if (!c) return std::nullopt;
    remember(*c, generation);
    return *c;
}

void CircuitBreaker::remember(const CircuitInfo& c, std::uint64_t generation) {
    std::lock_guard lock(mu_);
    if (generation != generation_) return;  // this breaker wrote meanwhile: what was read is older
    if (c.state == sdk::CircuitState::closed) {
        closed_ = c;
        closed_at_ = Clock::now();
    } else {
        closed_.reset();
    }
}

void CircuitBreaker::wrote(const std::optional<CircuitInfo>& c) {
    std::lock_guard lock(mu_);
    ++generation_;
    if (c && c->state == sdk::CircuitState::closed) {
        closed_ = *c;
        closed_at_ = Clock::now();
    } else {
        closed_.reset();  // open, half-open, or unknown (the write failed): the next question reads it
    }
}

bool CircuitBreaker::allows(std::uint32_t active) {
    auto c = read();
    if (!c) return false;
    if (c->state == sdk::CircuitState::closed) return true;
    if (c->state == sdk::CircuitState::open) {
        if (now_ms() - c->opened_at_ms < open_ms_) return false;
        CircuitInfo trial = *c;
        trial.state = sdk::CircuitState::half_open;
        wrote(write_circuit(*queue_, scanner_, trial) ? std::optional(trial) : std::nullopt);
        spdlog::info("scanner '{}': circuit half-open, one trial scan", scanner_);
    }
    return active == 0;
}

void CircuitBreaker::record(bool failed) {
    auto c = read_circuit(*queue_, scanner_);  // exact: failures of other processes count
    if (!c) return;
    CircuitInfo next = *c;
    if (!failed) {
        if (c->state == sdk::CircuitState::closed && c->consecutive_failures == 0) return;
        if (c->state != sdk::CircuitState::closed) spdlog::info("scanner '{}': circuit closed", scanner_);
        next = {};
    } else {
        ++next.consecutive_failures;
        if (c->state == sdk::CircuitState::half_open || next.consecutive_failures >= failures_) {
            if (c->state != sdk::CircuitState::open) {
                spdlog::warn("scanner '{}': circuit opened after {} consecutive failures; no new scans for {} s",
                             scanner_, next.consecutive_failures, open_ms_ / 1000);
            }
            next.state = sdk::CircuitState::open;
            next.opened_at_ms = now_ms();
        }
    }
    const bool written = write_circuit(*queue_, scanner_, next).ok();
    wrote(written ? std::optional(next) : std::nullopt);
    // Workers of this scanner in other processes may wait for work with the
    // circuit open: a closed one lets them claim again now.
    if (written && next.state == sdk::CircuitState::closed) (void)queue_->wake(scanner_);
}

}  // namespace scanorch::framework

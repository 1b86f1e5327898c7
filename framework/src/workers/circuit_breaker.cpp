#include "scanorch/framework/workers/circuit_breaker.h"

#include <spdlog/spdlog.h>

#include "scanorch/framework/clock.h"

namespace scanorch::framework {

std::optional<sdk::CircuitInfo> CircuitBreaker::read() {
    {
        std::lock_guard lock(mu_);
        if (closed_ && Clock::now() - closed_at_ < kClosedFresh) return closed_;
    }
    auto c = queue_->circuit(scanner_);
    if (!c) return std::nullopt;
    remember(*c);
    return *c;
}

void CircuitBreaker::remember(const sdk::CircuitInfo& c) {
    std::lock_guard lock(mu_);
    if (c.state == sdk::CircuitState::closed) {
        closed_ = c;
        closed_at_ = Clock::now();
    } else {
        closed_.reset();
    }
}

bool CircuitBreaker::allows(std::uint32_t active) {
    auto c = read();
    if (!c) return false;
    if (c->state == sdk::CircuitState::closed) return true;
    if (c->state == sdk::CircuitState::open) {
        if (now_ms() - c->opened_at_ms < open_ms_) return false;
        sdk::CircuitInfo trial = *c;
        trial.state = sdk::CircuitState::half_open;
        (void)queue_->set_circuit(scanner_, trial);
        remember(trial);
        spdlog::info("scanner '{}': circuit half-open, one trial scan", scanner_);
    }
    return active == 0;
}

void CircuitBreaker::record(bool failed) {
    auto c = queue_->circuit(scanner_);  // exact: failures of other processes count
    if (!c) return;
    remember(*c);
    sdk::CircuitInfo next = *c;
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
    if (queue_->set_circuit(scanner_, next)) {
        remember(next);
    } else {
        std::lock_guard lock(mu_);
        closed_.reset();  // unknown now: the next question reads it
    }
}

}  // namespace scanorch::framework

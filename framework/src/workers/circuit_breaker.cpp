#include "scanorch/framework/workers/circuit_breaker.h"

#include <spdlog/spdlog.h>

#include "scanorch/framework/runtime/clock.h"

namespace scanorch::framework {

std::optional<CircuitRead> CircuitBreaker::read() {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mu_);
        if (closed_ && Clock::now() - closed_at_ < kClosedFresh) return CircuitRead{*closed_, std::nullopt};
        generation = generation_;
    }
    auto c = read_circuit(*queue_, scanner_);
    if (!c) return std::nullopt;
    remember(c->info, generation);
    return std::move(c).value();
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
    const CircuitInfo& now_state = c->info;
    if (now_state.state == sdk::CircuitState::closed) return true;
    const bool due = now_ms() - now_state.opened_at_ms >= open_ms_;
    if (now_state.state == sdk::CircuitState::half_open) {
        // One trial for the whole pool of processes: the breaker that took
        // it runs it; the others wait for its verdict, unless it is overdue
        // (its process died mid-trial), and then one of them takes it over.
        if (std::lock_guard lock(mu_); trial_mine_) return active == 0;
        if (!due) return false;
    } else if (!due) {
        return false;
    }
    CircuitInfo trial = now_state;
    trial.state = sdk::CircuitState::half_open;
    trial.opened_at_ms = now_ms();  // when the trial began
    auto won = replace_circuit(*queue_, scanner_, *c, trial);
    wrote(won && *won ? std::optional(trial) : std::nullopt);
    if (!won || !*won) return false;  // another worker, here or elsewhere, took the trial
    {
        std::lock_guard lock(mu_);
        trial_mine_ = true;
    }
    spdlog::info("scanner '{}': circuit half-open, one trial scan", scanner_);
    return active == 0;
}

void CircuitBreaker::record(bool failed) {
    // A compare-and-set, retried: failures counted by other processes
    // between this read and this write must not be lost.
    for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
        auto c = read_circuit(*queue_, scanner_);
        if (!c) return;
        const CircuitInfo& was = c->info;
        CircuitInfo next = was;
        if (!failed) {
            if (was.state == sdk::CircuitState::closed && was.consecutive_failures == 0) return;
            next = {};
        } else {
            ++next.consecutive_failures;
            if (was.state == sdk::CircuitState::half_open || next.consecutive_failures >= failures_) {
                next.state = sdk::CircuitState::open;
                next.opened_at_ms = now_ms();
            }
        }
        auto written = replace_circuit(*queue_, scanner_, *c, next);
        if (!written) {
            wrote(std::nullopt);
            return;
        }
        if (!*written) continue;  // someone else wrote first: decide again on what is there now
        wrote(next);
        {
            std::lock_guard lock(mu_);
            trial_mine_ = false;
        }
        if (next.state == sdk::CircuitState::closed && was.state != sdk::CircuitState::closed) {
            spdlog::info("scanner '{}': circuit closed", scanner_);
        } else if (next.state == sdk::CircuitState::open && was.state != sdk::CircuitState::open) {
            spdlog::warn("scanner '{}': circuit opened after {} consecutive failures; no new scans for {} s", scanner_,
                         next.consecutive_failures, open_ms_ / 1000);
        }
        // Workers of this scanner in other processes may wait for work with
        // the circuit open: a closed one lets them claim again now.
        if (next.state == sdk::CircuitState::closed) (void)queue_->wake(scanner_);
        return;
    }
    wrote(std::nullopt);
    spdlog::warn("scanner '{}': circuit state kept changing under {} attempts to record a {}; this one is not counted",
                 scanner_, kWriteAttempts, failed ? "failure" : "success");
}

}  // namespace scanorch::framework

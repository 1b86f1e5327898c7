#include "scanorch/framework/workers/circuit_breaker.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <utility>

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

std::uint64_t CircuitBreaker::random_id() {
    // random_device, with the process, the time and a counter mixed in: where
    // random_device is weak or fails, two breakers must still differ.
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t seed = static_cast<std::uint64_t>(::getpid()) << 32 ^
                         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                         (counter.fetch_add(1) * 0x9E3779B97F4A7C15ULL);
    try {
        std::random_device rd;
        seed ^= static_cast<std::uint64_t>(rd()) << 32 ^ rd();
    } catch (const std::exception&) {  // no entropy source: the mix above still differs per breaker
    }
    std::mt19937_64 mix(seed);
    std::uint64_t id = 0;
    while (id == 0) id = mix();
    return id;
}

bool CircuitBreaker::open_time_over(std::int64_t opened_at_ms) const {
    // Both times are within [0, kMaxCircuitStampMs] (decode_circuit refuses
    // others), so neither this difference nor a stamp + 1 can overflow.
    const std::int64_t age = now_ms() - opened_at_ms;
    return age >= open_ms_ || age < -open_ms_;
}

bool CircuitBreaker::allows(std::uint32_t active) {
    // Serialised with keep_trial() and release_trial(), which read, decide
    // and write the same trial.
    std::lock_guard trial_lock(trial_mu_);
    auto c = read();
    if (!c) return false;
    const CircuitInfo& now_state = c->info;
    if (now_state.state == sdk::CircuitState::closed) return true;
    if (now_state.state == sdk::CircuitState::half_open) {
        // One trial for the whole pool of processes: the breaker that took
        // it runs it; the others wait for its verdict, unless its stamp has
        // stood still for a lease (its owner died), and then one of them
        // takes it over.
        std::lock_guard lock(mu_);
        if (mine(now_state)) {
            // Perhaps a write whose outcome was unknown landed after a read
            // had cleared the flag: the heartbeat must renew this trial.
            may_hold_trial_ = true;
            return active == 0;
        }
        const std::pair seen{now_state.opened_at_ms, now_state.owner};
        if (observed_ != seen) {
            observed_ = seen;
            observed_since_ = Clock::now();
            return false;
        }
        if (Clock::now() - observed_since_ < std::chrono::milliseconds(trial_lease_ms_)) return false;
    } else {
        {
            std::lock_guard lock(mu_);
            observed_.reset();  // a new cycle: no earlier trial's observation carries over
        }
        if (!open_time_over(now_state.opened_at_ms)) return false;
    }
    // A worker with scans of its own running could not start the trial it
    // took, and its heartbeat would keep it from everyone else meanwhile.
    if (active != 0) return false;
    CircuitInfo trial = now_state;
    trial.state = sdk::CircuitState::half_open;
    trial.owner = id_;
    // When the trial began, renewed by keep_trial(); always a new value, so
    // the others see the trial change hands.
    trial.opened_at_ms = std::max(now_ms(), now_state.opened_at_ms + 1);
    auto won = replace_circuit(*queue_, scanner_, *c, trial);
    wrote(won && *won ? std::optional(trial) : std::nullopt);
    if (!won || *won) {
        std::lock_guard lock(mu_);
        may_hold_trial_ = true;  // an unknown outcome too: the next read says whether it landed
    }
    if (!won || !*won) return false;  // unknown, or another worker here or elsewhere took the trial
    spdlog::info("scanner '{}': circuit half-open, one trial scan{}", scanner_,
                 now_state.state == sdk::CircuitState::half_open ? " (taken over: its owner stopped renewing it)" : "");
    return true;
}

std::optional<CircuitRead> CircuitBreaker::held_trial() {
    {
        std::lock_guard lock(mu_);
        if (!may_hold_trial_) return std::nullopt;
    }
    auto c = read_circuit(*queue_, scanner_);
    if (!c) return std::nullopt;  // the backend is away: ask again next time
    if (mine(c->info)) return std::move(c).value();
    std::lock_guard lock(mu_);
    may_hold_trial_ = false;  // decided, or taken over while this process was silent
    return std::nullopt;
}

void CircuitBreaker::keep_trial() {
    std::lock_guard trial_lock(trial_mu_);
    auto c = held_trial();
    if (!c) return;
    CircuitInfo kept = c->info;
    kept.opened_at_ms = std::max(now_ms(), c->info.opened_at_ms + 1);  // always a new value: a renewal
    // Lost or unknown: the next read decides (the owner field says whose it is).
    auto won = replace_circuit(*queue_, scanner_, *c, kept);
    wrote(won && *won ? std::optional(kept) : std::nullopt);
}

void CircuitBreaker::release_trial() {
    std::lock_guard trial_lock(trial_mu_);
    auto c = held_trial();
    if (!c) return;
    CircuitInfo open = c->info;
    open.state = sdk::CircuitState::open;
    open.owner = 0;
    open.opened_at_ms = std::max<std::int64_t>(0, now_ms() - open_ms_);  // its open time already over
    auto given = replace_circuit(*queue_, scanner_, *c, open);
    wrote(given && *given ? std::optional(open) : std::nullopt);
    if (given && *given) {
        spdlog::info("scanner '{}': circuit trial given back for another worker", scanner_);
        (void)queue_->wake(scanner_);  // the scanner's idle workers elsewhere may take it now
    }
}

void CircuitBreaker::record(bool failed) {
    // A compare-and-set, retried: failures counted by other processes
    // between this read and this write must not be lost.
    for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
        auto c = read_circuit(*queue_, scanner_);
        if (!c) return;
        const CircuitInfo& was = c->info;
        CircuitInfo next = was;
        next.owner = 0;  // a verdict ends any trial: the circuit closes or opens
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
        if (!*written) {
            if (attempt + 1 == kWriteAttempts) break;  // no pause before giving up
            // Someone else wrote first: decide again on what is there now,
            // after a random pause, so breakers that keep colliding (many
            // runs of one scanner ending together) spread out instead of
            // colliding again in step.
            thread_local std::minstd_rand jitter(static_cast<std::uint_fast32_t>(random_id()));
            std::this_thread::sleep_for(
                std::chrono::microseconds(std::uniform_int_distribution<int>(0, 250 << attempt)(jitter)));
            continue;
        }
        wrote(next);
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

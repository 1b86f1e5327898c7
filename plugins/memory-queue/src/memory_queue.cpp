// The `memory-queue` plugin: the queue contract (sdk/queue.h) inside one
// process, for single-machine use (`scanorchd all`). It keeps nothing the
// task store does not already have: at start it rebuilds its queues from
// the host's task store (queued tasks in creation order; tasks that were
// running when the process died go first, to be resumed), so a restart loses
// nothing. The host hands it the store's tasks (abi.h, local_queue_tasks).
// The task store stays the source of truth on one machine: failed tasks marked
// dead_letter form the DLQ, and every few seconds the queue resyncs with the
// store, so `scanorchctl dlq retry/purge` (another process) takes effect.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "scanorch/sdk/counters.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/hex.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/pool_snapshot.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/slot_vacate.h"

namespace {

namespace sdk = scanorch::sdk;

class MemoryQueue final : public sdk::QueueBackend,
                          public sdk::SharedCounters,
                          public sdk::QueuePoolSnapshot,
                          public sdk::SlotVacate {
public:
    using interface_type = sdk::QueueBackend;
    static constexpr const char* kName = "memory-queue";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription =
        "In-process queues for one machine; rebuilt from the task store at start";
    static constexpr scanorch_config_field kConfig[] = {
        sdk::ConfigKey{.name = "rebuild_from_tasks",
                       .type = SCANORCH_CFG_BOOL,
                       .default_json = "true",
                       .description = "Rebuild the queues from the host's task store at start, and follow it"},
    };

    explicit MemoryQueue(sdk::PluginContext ctx) : ctx_(std::move(ctx)), rng_(std::random_device{}()) {}

    static sdk::Result<std::unique_ptr<MemoryQueue>> create(sdk::PluginContext ctx) {
        const bool rebuild = ctx.config().boolean("rebuild_from_tasks");
        auto q = std::make_unique<MemoryQueue>(std::move(ctx));
        q->rebuild_ = rebuild;
        if (rebuild) q->rebuild();
        return q;
    }

    sdk::Result<void> ping() noexcept override { return {}; }

    // Its queues are this process's memory: say so, so `api`/`worker` refuse it.
    // The pool snapshot saves taking the lock once per scanner.
    void* extension(std::string_view id) noexcept override {
        static int process_local = 1;
        if (id == sdk::kQueueProcessLocal) return &process_local;
        if (id == sdk::kQueueCounters) return static_cast<sdk::SharedCounters*>(this);
        if (id == sdk::kQueuePoolSnapshot) return static_cast<sdk::QueuePoolSnapshot*>(this);
        if (id == sdk::kQueueSlotVacate) return static_cast<sdk::SlotVacate*>(this);
        return nullptr;
    }

    sdk::Result<sdk::PoolQueueState> pool_snapshot(const std::vector<std::string>& scanners) noexcept override {
        return locked([&]() -> sdk::Result<sdk::PoolQueueState> {
            sdk::PoolQueueState st;
            st.global = size_of(queues_, "");
            st.dead_letter = dlq_.size();
            st.scanners.reserve(scanners.size());
            for (const auto& s : scanners) {
                sdk::ScannerQueueState one;
                one.scanner_id = s;
                one.queued = size_of(queues_, s);
                one.running = size_of(running_, s);
                st.scanners.push_back(std::move(one));
            }
            return st;
        });
    }

    sdk::Result<std::uint64_t> enqueue(const sdk::QueueTask& task) noexcept override {
        return locked([&]() -> sdk::Result<std::uint64_t> {
            if (task.task_id.empty()) return sdk::Error::invalid_input("task without an id");
            if (queued_or_held(task.task_id))
                return sdk::Error::invalid_input("task '" + task.task_id + "' is already queued or running");
            auto t = task;
            if (t.enqueued_at_ms == 0) t.enqueued_at_ms = ctx_.now_unix_ms();
            auto& q = queues_[t.scanner_id];
            q.push_back(std::move(t));
            notify_waiters();
            return static_cast<std::uint64_t>(q.size());
        });
    }

    sdk::Result<void> enqueue_front(const sdk::QueueTask& task) noexcept override {
        return locked([&]() -> sdk::Result<void> {
            if (queued_or_held(task.task_id))
                return sdk::Error::invalid_input("task '" + task.task_id + "' is already queued or running");
            queues_[task.scanner_id].push_front(task);
            notify_waiters();
            return {};
        });
    }

    sdk::Result<std::optional<sdk::Claim>> claim(const std::string& scanner, std::uint32_t max_concurrent,
                                                 std::int64_t lease_ms) noexcept override {
        return locked([&]() -> sdk::Result<std::optional<sdk::Claim>> {
            auto& slots = running_[scanner];
            if (slots.size() >= max_concurrent) return std::optional<sdk::Claim>{};
            bool from_global = false;
            std::deque<sdk::QueueTask>* q = &queues_[scanner];
            if (q->empty()) {
                q = &queues_[""];
                from_global = true;
            }
            if (q->empty()) return std::optional<sdk::Claim>{};
            sdk::Claim c;
            c.task = std::move(q->front());
            q->pop_front();
            c.scanner_id = scanner;
            c.from_global = from_global;
            c.lease_token = token();
            c.lease_expires_at_ms = ctx_.now_unix_ms() + lease_ms;
            slots.insert(c.task.task_id);
            Held h{c, c.task};
            ++h.stored.attempts;
            held_[c.task.task_id] = std::move(h);
            return std::optional<sdk::Claim>(std::move(c));
        });
    }

    sdk::Result<bool> wait_for_work(const std::string&, std::int64_t timeout_ms) noexcept override {
        return sdk::guard("wait for work", [&]() -> sdk::Result<bool> {
            if (rebuild_ && ctx_.now_unix_ms() - last_resync_.load() > 2000) {
                last_resync_ = ctx_.now_unix_ms();
                resync();
            }
            std::unique_lock lock(mu_);
            const auto seen = wakes_;
            return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return wakes_ != seen; });
        });
    }

    sdk::Result<void> renew(sdk::Claim& c, std::int64_t lease_ms) noexcept override {
        return locked([&]() -> sdk::Result<void> {
            auto* h = holder(c);
            if (h == nullptr) return lost(c);
            h->claim.lease_expires_at_ms = c.lease_expires_at_ms = ctx_.now_unix_ms() + lease_ms;
            return {};
        });
    }

    sdk::Result<void> complete(const sdk::Claim& c) noexcept override {
        return locked([&]() -> sdk::Result<void> {
            if (holder(c) == nullptr) return lost(c);
            drop(c);
            notify_waiters();
            return {};
        });
    }

    sdk::Result<void> release(const sdk::Claim& c, const std::string& payload) noexcept override {
        return locked([&]() -> sdk::Result<void> {
            auto* h = holder(c);
            if (h == nullptr) return lost(c);
            auto task = h->stored;
            task.payload = payload;
            drop(c);
            queues_[task.scanner_id].push_front(std::move(task));
            notify_waiters();
            return {};
        });
    }

    sdk::Result<void> dead_letter(const sdk::Claim& c, const std::string& reason) noexcept override {
        return locked([&]() -> sdk::Result<void> {
            auto* h = holder(c);
            if (h == nullptr) return lost(c);
            dlq_.push_front({h->stored, reason, ctx_.now_unix_ms()});
            drop(c);
            notify_waiters();
            return {};
        });
    }

    sdk::Result<std::vector<sdk::QueueTask>> reclaim_expired() noexcept override {
        return locked([&]() -> sdk::Result<std::vector<sdk::QueueTask>> {
            std::vector<sdk::QueueTask> moved;
            const auto now = ctx_.now_unix_ms();
            for (auto it = held_.begin(); it != held_.end();) {
                if (it->second.claim.lease_expires_at_ms > now) {
                    ++it;
                    continue;
                }
                auto task = it->second.stored;
                running_[it->second.claim.scanner_id].erase(task.task_id);
                it = held_.erase(it);
                queues_[task.scanner_id].push_front(task);
                moved.push_back(std::move(task));
            }
            if (!moved.empty()) notify_waiters();
            return moved;
        });
    }

    sdk::Result<bool> remove(const std::string& id) noexcept override {
        return locked([&]() -> sdk::Result<bool> {
            for (auto& [name, q] : queues_) {
                auto it = std::find_if(q.begin(), q.end(), [&](const auto& t) { return t.task_id == id; });
                if (it != q.end()) {
                    q.erase(it);
                    return true;
                }
            }
            return false;
        });
    }

    sdk::Result<std::optional<std::uint64_t>> position(const std::string& id) noexcept override {
        return locked([&]() -> sdk::Result<std::optional<std::uint64_t>> {
            for (auto& [name, q] : queues_) {
                for (std::size_t i = 0; i < q.size(); ++i) {
                    if (q[i].task_id == id) return std::optional<std::uint64_t>(i + 1);
                }
            }
            return std::optional<std::uint64_t>{};
        });
    }

    // Every task held on the scanner, in a slot or not (vacate()).
    sdk::Result<std::vector<std::string>> running(const std::string& scanner) noexcept override {
        return locked([&]() -> sdk::Result<std::vector<std::string>> {
            std::vector<std::string> out;
            for (const auto& [id, h] : held_) {
                if (h.claim.scanner_id == scanner) out.push_back(id);
            }
            return out;
        });
    }

    sdk::Result<bool> vacate(const sdk::Claim& c, std::uint32_t max_vacated) noexcept override {
        return locked([&]() -> sdk::Result<bool> {
            if (holder(c) == nullptr) return lost(c);
            auto& slots = running_[c.scanner_id];
            if (slots.count(c.task.task_id) == 0) return true;
            std::uint32_t vacated = 0;
            for (const auto& [id, h] : held_) {
                if (h.claim.scanner_id == c.scanner_id && slots.count(id) == 0) ++vacated;
            }
            if (vacated >= max_vacated) return false;
            slots.erase(c.task.task_id);
            notify_waiters();
            return true;
        });
    }

    sdk::Result<std::vector<sdk::QueueTask>> list(const std::string& scanner, std::uint64_t offset,
                                                  std::uint64_t limit) noexcept override {
        return locked([&]() -> sdk::Result<std::vector<sdk::QueueTask>> {
            const auto& q = queues_[scanner];
            std::vector<sdk::QueueTask> out;
            for (std::uint64_t i = offset; i < q.size() && out.size() < limit; ++i) out.push_back(q[i]);
            return out;
        });
    }

    sdk::Result<sdk::QueueDepths> depths(const std::vector<std::string>& scanners) noexcept override {
        return locked([&]() -> sdk::Result<sdk::QueueDepths> {
            sdk::QueueDepths d;
            d.global = queues_[""].size();
            d.dead_letter = dlq_.size();
            for (const auto& s : scanners) d.scanners.push_back({s, queues_[s].size(), running_[s].size()});
            return d;
        });
    }

    sdk::Result<std::vector<sdk::DlqEntry>> dlq_list(std::uint64_t offset, std::uint64_t limit) noexcept override {
        return locked([&]() -> sdk::Result<std::vector<sdk::DlqEntry>> {
            std::vector<sdk::DlqEntry> out;
            for (std::uint64_t i = offset; i < dlq_.size() && out.size() < limit; ++i) out.push_back(dlq_[i]);
            return out;
        });
    }

    sdk::Result<std::optional<sdk::DlqEntry>> dlq_get(const std::string& id) noexcept override {
        return locked([&]() -> sdk::Result<std::optional<sdk::DlqEntry>> {
            for (const auto& e : dlq_) {
                if (e.task.task_id == id) return std::optional<sdk::DlqEntry>(e);
            }
            return std::optional<sdk::DlqEntry>{};
        });
    }

    sdk::Result<bool> dlq_remove(const std::string& id) noexcept override {
        return locked([&]() -> sdk::Result<bool> {
            auto it = std::find_if(dlq_.begin(), dlq_.end(), [&](const auto& e) { return e.task.task_id == id; });
            if (it == dlq_.end()) return false;
            dlq_.erase(it);
            return true;
        });
    }

    sdk::Result<std::uint64_t> dlq_purge() noexcept override {
        return locked([&]() -> sdk::Result<std::uint64_t> {
            const auto n = dlq_.size();
            dlq_.clear();
            return static_cast<std::uint64_t>(n);
        });
    }

    // Every waiter is woken (they share one condition); the others find
    // nothing to claim and wait again.
    sdk::Result<void> wake(const std::string&) noexcept override {
        return locked([&]() -> sdk::Result<void> {
            notify_waiters();
            return {};
        });
    }

    sdk::Result<std::optional<std::string>> kv_get(const std::string& key) noexcept override {
        return locked([&]() -> sdk::Result<std::optional<std::string>> {
            auto it = live(key);
            if (it == kv_.end()) return std::optional<std::string>{};
            return std::optional<std::string>(it->second.first);
        });
    }

    sdk::Result<std::vector<std::optional<std::string>>> kv_get_many(
        const std::vector<std::string>& keys) noexcept override {
        return locked([&]() -> sdk::Result<std::vector<std::optional<std::string>>> {
            std::vector<std::optional<std::string>> out;
            out.reserve(keys.size());
            for (const auto& key : keys) {
                auto it = live(key);
                out.push_back(it == kv_.end() ? std::nullopt : std::optional<std::string>(it->second.first));
            }
            return out;
        });
    }

    sdk::Result<void> kv_set(const std::string& key, const std::string& value, std::int64_t ttl_ms) noexcept override {
        return locked([&]() -> sdk::Result<void> {
            kv_[key] = {value, ttl_ms > 0 ? ctx_.now_unix_ms() + ttl_ms : 0};
            return {};
        });
    }

    sdk::Result<std::optional<std::string>> kv_set_if_absent(const std::string& key, const std::string& value,
                                                             std::int64_t ttl_ms) noexcept override {
        return locked([&]() -> sdk::Result<std::optional<std::string>> {
            auto it = live(key);
            if (it != kv_.end()) return std::optional<std::string>(it->second.first);
            kv_[key] = {value, ttl_ms > 0 ? ctx_.now_unix_ms() + ttl_ms : 0};
            return std::optional<std::string>{};
        });
    }

    sdk::Result<bool> kv_compare_and_set(const std::string& key, const std::optional<std::string>& expected,
                                         const std::string& value, std::int64_t ttl_ms) noexcept override {
        return locked([&]() -> sdk::Result<bool> {
            auto it = live(key);
            const bool present = it != kv_.end();
            if (present != expected.has_value() || (present && it->second.first != *expected)) return false;
            kv_[key] = {value, ttl_ms > 0 ? ctx_.now_unix_ms() + ttl_ms : 0};
            return true;
        });
    }

    sdk::Result<bool> kv_delete_if(const std::string& key, const std::string& expected) noexcept override {
        return locked([&]() -> sdk::Result<bool> {
            auto it = live(key);
            if (it == kv_.end() || it->second.first != expected) return false;
            kv_.erase(it);
            return true;
        });
    }

    sdk::Result<std::int64_t> add(const std::string& key, std::int64_t delta, std::int64_t ttl_ms) noexcept override {
        return locked([&]() -> sdk::Result<std::int64_t> {
            const auto now = ctx_.now_unix_ms();
            sweep_counters(now);
            auto it = counters_.find(key);
            if (it != counters_.end() && it->second.expires_at > 0 && it->second.expires_at <= now) {
                counters_.erase(it);
                it = counters_.end();
            }
            if (it == counters_.end()) {
                if (delta <= 0) return std::int64_t{0};
                it = counters_.emplace(key, Counter{0, ttl_ms > 0 ? now + ttl_ms : 0}).first;
            }
            it->second.value = std::max<std::int64_t>(0, it->second.value + delta);
            return it->second.value;
        });
    }

    sdk::Result<std::vector<std::int64_t>> read(const std::vector<std::string>& keys) noexcept override {
        return locked([&]() -> sdk::Result<std::vector<std::int64_t>> {
            const auto now = ctx_.now_unix_ms();
            std::vector<std::int64_t> out;
            out.reserve(keys.size());
            for (const auto& k : keys) {
                auto it = counters_.find(k);
                const bool live = it != counters_.end() && (it->second.expires_at == 0 || it->second.expires_at > now);
                out.push_back(live ? it->second.value : 0);
            }
            return out;
        });
    }

private:
    struct Held {
        sdk::Claim claim;
        sdk::QueueTask stored;  ///< as it goes back to a queue (attempts counted)
    };

    template <class F>
    auto locked(F&& f) noexcept -> decltype(f()) {
        return sdk::guard("memory-queue", [&] {
            std::lock_guard lock(mu_);
            return f();
        });
    }

    void notify_waiters() {
        ++wakes_;
        cv_.notify_all();
    }

    std::string token() { return sdk::random_hex(16, rng_); }

    Held* holder(const sdk::Claim& c) {
        auto it = held_.find(c.task.task_id);
        return it != held_.end() && it->second.claim.lease_token == c.lease_token ? &it->second : nullptr;
    }

    static sdk::Error lost(const sdk::Claim& c) {
        return sdk::Error::not_found("task '" + c.task.task_id +
                                     "' is no longer held by this lease (it lapsed and "
                                     "the task was reclaimed)");
    }

    void drop(const sdk::Claim& c) {
        running_[c.scanner_id].erase(c.task.task_id);
        held_.erase(c.task.task_id);
    }

    bool queued_or_held(const std::string& id) const {
        if (held_.count(id)) return true;
        for (const auto& [name, q] : queues_) {
            for (const auto& t : q) {
                if (t.task_id == id) return true;
            }
        }
        return false;
    }

    // Expired counters nobody asks for again are dropped a few at a time, as
    // counters are added, so the map follows the live counters.
    void sweep_counters(std::int64_t now) {
        for (int i = 0; i < 2 && !counters_.empty(); ++i) {
            auto victim = counters_.upper_bound(sweep_from_);
            if (victim == counters_.end()) victim = counters_.begin();
            sweep_from_ = victim->first;
            if (victim->second.expires_at > 0 && victim->second.expires_at <= now) counters_.erase(victim);
        }
    }

    std::map<std::string, std::pair<std::string, std::int64_t>>::iterator live(const std::string& key) {
        auto it = kv_.find(key);
        if (it != kv_.end() && it->second.second != 0 && it->second.second <= ctx_.now_unix_ms()) {
            kv_.erase(it);
            return kv_.end();
        }
        return it;
    }

    struct Stored {
        std::string status;
        bool dead_letter = false;
        std::string error;
        std::int64_t created = 0, completed = 0;
        std::int64_t updated = 0;  ///< last write to the task (0 from a host that does not say)
        sdk::QueueTask task;
    };

    // The host's store, through scanorch_host_api::local_queue_tasks; read
    // without the lock. nullopt when the host offers none or cannot read it.
    std::optional<std::vector<Stored>> scan_store() {
        auto text = ctx_.local_queue_tasks();
        if (!text) return std::nullopt;
        std::vector<Stored> out;
        try {
            auto arr = Poco::JSON::Parser().parse(*text).extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; i < arr->size(); ++i) {
                auto o = arr->getObject(static_cast<unsigned>(i));
                if (!o) continue;
                Stored s;
                s.status = o->optValue<std::string>("status", "");
                s.dead_letter = o->optValue<bool>("dead_letter", false);
                s.error = o->optValue<std::string>("error", "");
                s.created = o->optValue<std::int64_t>("created_at", 0);
                s.completed = o->optValue<std::int64_t>("completed_at", 0);
                s.updated = o->optValue<std::int64_t>("updated_at", 0);
                if (s.status != "queued" && s.status != "running" && !(s.status == "failed" && s.dead_letter)) continue;
                s.task.task_id = o->optValue<std::string>("task_id", "");
                s.task.scanner_id = o->optValue<std::string>("queue", "");
                s.task.payload = o->optValue<std::string>("payload", "");
                s.task.enqueued_at_ms = s.created;
                s.task.attempts = static_cast<std::uint32_t>(o->optValue<std::int64_t>("attempts", 0));
                if (!s.task.task_id.empty()) out.push_back(std::move(s));
            }
        } catch (const std::exception& ex) {
            ctx_.log().warn("cannot read the host's tasks: ", ex.what());
            return std::nullopt;
        }
        std::sort(out.begin(), out.end(), [](const Stored& a, const Stored& b) { return a.created < b.created; });
        return out;
    }

    // At start: queued tasks in creation order; tasks that were running when
    // the process stopped go to the head (to be resumed); the DLQ as it was.
    void rebuild() {
        auto found = scan_store();
        if (!found) return;  // resync tries again until one read succeeds
        auto& stored = *found;
        std::lock_guard lock(mu_);
        rebuilt_ = true;
        std::size_t resumed = 0, queued = 0;
        std::stable_partition(stored.begin(), stored.end(), [](const Stored& s) { return s.status == "running"; });
        for (auto& s : stored) {
            if (s.status == "failed") {
                dlq_.push_front({s.task, s.error, s.completed});
                continue;
            }
            resumed += s.status == "running" ? 1 : 0;
            ++queued;
            queues_[s.task.scanner_id].push_back(std::move(s.task));
        }
        if (!stored.empty()) {
            ctx_.log().info("rebuilt the queues from the task store: ", queued, " task(s), ", resumed, " to resume, ",
                            dlq_.size(), " in the dead-letter queue");
        }
    }

    // Picks up what another process changed in the store: tasks put back in
    // the queue (dlq retry), and dead-letter entries added, retried or purged.
    void resync() {
        if (!rebuilt()) return rebuild();
        // What failed after the read began is not in it: such entries stay.
        const auto read_at = ctx_.now_unix_ms();
        auto found = scan_store();
        if (!found) return;  // nothing known: keep what is held
        auto& stored = *found;
        std::lock_guard lock(mu_);
        const auto now = ctx_.now_unix_ms();
        std::set<std::string> present;  // queued or held here, built once
        for (const auto& [id, h] : held_) present.insert(id);
        for (const auto& [name, q] : queues_) {
            for (const auto& t : q) present.insert(t.task_id);
        }
        std::set<std::string> dead_here, still_dead;
        for (const auto& e : dlq_) dead_here.insert(e.task.task_id);
        bool changed = false;
        for (auto& s : stored) {
            if (s.status == "failed") {
                still_dead.insert(s.task.task_id);
                if (!dead_here.count(s.task.task_id) && !present.count(s.task.task_id)) {  // failed in another process
                    dlq_.push_front({s.task, s.error, s.completed});
                    changed = true;
                }
                continue;
            }
            // Only tasks untouched for a few seconds: a new or retried task is
            // being enqueued by its own call.
            const auto last_write = std::max(s.created, s.updated);
            if (s.status == "queued" && now - last_write > 5000 && !present.count(s.task.task_id)) {
                queues_[s.task.scanner_id].push_back(std::move(s.task));
                changed = true;
            }
        }
        const auto before = dlq_.size();
        dlq_.erase(std::remove_if(dlq_.begin(), dlq_.end(),
                                  [&](const sdk::DlqEntry& e) {
                                      return !still_dead.count(e.task.task_id) && e.failed_at_ms < read_at;
                                  }),
                   dlq_.end());
        if (changed || dlq_.size() != before) notify_waiters();
    }

    bool rebuilt() {
        std::lock_guard lock(mu_);
        return rebuilt_;
    }

    // Reading must not create entries (operator[] would, under a read).
    template <class Map>
    static std::uint64_t size_of(const Map& m, const std::string& key) {
        auto it = m.find(key);
        return it == m.end() ? 0 : it->second.size();
    }

    sdk::PluginContext ctx_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t wakes_ = 0;
    std::mt19937_64 rng_;
    std::map<std::string, std::deque<sdk::QueueTask>> queues_;  ///< "" = global
    std::map<std::string, std::set<std::string>> running_;
    std::map<std::string, Held> held_;
    std::deque<sdk::DlqEntry> dlq_;                                   ///< newest first
    std::map<std::string, std::pair<std::string, std::int64_t>> kv_;  ///< value, expiry (0 = none)
    struct Counter {
        std::int64_t value = 0;
        std::int64_t expires_at = 0;  ///< 0 = never
    };
    std::map<std::string, Counter> counters_;
    std::string sweep_from_;
    bool rebuild_ = true;
    bool rebuilt_ = false;  ///< one read of the store succeeded (under mu_)
    std::atomic<std::int64_t> last_resync_{0};
};

}  // namespace

SCANORCH_PLUGIN(MemoryQueue)

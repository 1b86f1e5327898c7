#include "scanorch/store_sql/commit_group.h"

#include <algorithm>

namespace scanorch::store_sql {

void CommitGroup::write(const std::function<void(Connection&)>& work, bool one_statement) {
    if (!shared_) {
        auto c = pool_.write_lease();
        if (one_statement) {
            work(*c);
            return;
        }
        Transaction tx(*c, begin_);
        work(*c);
        tx.commit();
        return;
    }
    Writer me{&work, nullptr, false};
    std::vector<Writer*> batch;
    {
        std::unique_lock lock(mu_);
        waiting_.push_back(&me);
        cv_.wait(lock, [&] { return me.done || !running_; });
        if (!me.done) {
            // Nobody is running one: this writer runs the next transaction,
            // for itself and everyone waiting now.
            running_ = true;
            const auto n = std::min(waiting_.size(), kMaxBatch);
            // In arrival order, and this writer among them (it waited
            // behind a full batch only when more than kMaxBatch arrived
            // first, and then it is among the first of the rest).
            auto mine = std::find(waiting_.begin(), waiting_.end(), &me);
            if (static_cast<std::size_t>(mine - waiting_.begin()) >= n)
                std::iter_swap(mine, waiting_.begin() + (n - 1));
            batch.assign(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
            waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
        }
    }
    if (!batch.empty()) {
        run(batch);
        std::lock_guard lock(mu_);
        for (auto* w : batch) w->done = true;
        running_ = false;
        cv_.notify_all();  // the done, and the first of the next ones to lead
    }
    if (me.error) std::rethrow_exception(me.error);
}

void CommitGroup::run(const std::vector<Writer*>& batch) {
    try {
        auto c = pool_.write_lease();
        Transaction tx(*c, begin_);
        for (auto* w : batch) {
            c->run("SAVEPOINT writer");
            try {
                (*w->work)(*c);
            } catch (...) {
                w->error = std::current_exception();
                // Undoes this writer's statements only; when even that
                // fails the connection is gone and the whole batch with it.
                c->run("ROLLBACK TO writer");
            }
            c->run("RELEASE writer");
        }
        tx.commit();
    } catch (const DbError& e) {
        // Nothing of the batch is committed. A writer whose own work failed
        // keeps its error; the others were only caught in the rollback
        // (one writer's disk-full or I/O error ends the whole transaction,
        // and then "ROLLBACK TO" itself fails): for them it is transient.
        const bool own = std::any_of(batch.begin(), batch.end(), [](const Writer* w) { return w->error != nullptr; });
        const auto failed =
            own ? std::make_exception_ptr(DbError(sdk::ErrorKind::transient,
                                                  std::string("the shared transaction was rolled back: ") + e.what()))
                : std::current_exception();
        for (auto* w : batch) {
            if (!w->error) w->error = failed;
        }
    } catch (...) {
        const auto failed = std::current_exception();
        for (auto* w : batch) {
            if (!w->error) w->error = failed;
        }
    }
}

}  // namespace scanorch::store_sql

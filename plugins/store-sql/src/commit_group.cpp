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
    // Shared with the leader: it wakes its writers after letting go of the
    // lock (a writer woken under it would only block on it again), and its
    // references keep each writer's condition alive until then, though the
    // writer may see `done` and return first.
    const auto me = std::make_shared<Writer>(&work);
    std::vector<std::shared_ptr<Writer>> batch;
    batch.reserve(kMaxBatch);  // nothing under the lock below may throw: it would wedge the group
    {
        std::unique_lock lock(mu_);
        waiting_.push_back(me);
        if (!running_) {  // nobody leads one: this writer runs the next transaction
            running_ = true;
            me->lead = true;
        }
        me->cv.wait(lock, [&] { return me->done || me->lead; });
        if (!me->done) {
            // The leader is the head of the line (a lone writer, or the one
            // the last leader handed over to), so its own write is in the
            // batch it runs, with everyone waiting behind it, up to a bound.
            const auto n = std::min(waiting_.size(), kMaxBatch);
            batch.assign(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
            waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
        }
    }
    if (!batch.empty()) {
        run(batch);
        std::shared_ptr<Writer> next;
        {
            std::lock_guard lock(mu_);
            for (const auto& w : batch) w->done = true;
            if (waiting_.empty()) {
                running_ = false;
            } else {
                next = waiting_.front();
                next->lead = true;
            }
        }
        // The next leader first: every write queued since waits on it.
        if (next) next->cv.notify_one();
        for (const auto& w : batch) {
            if (w != me) w->cv.notify_one();
        }
    }
    if (me->error) std::rethrow_exception(me->error);
}

void CommitGroup::run(const std::vector<std::shared_ptr<Writer>>& batch) {
    try {
        auto c = pool_.write_lease();
        Transaction tx(*c, begin_);
        for (const auto& w : batch) {
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
        const bool own = std::any_of(batch.begin(), batch.end(), [](const auto& w) { return w->error != nullptr; });
        std::exception_ptr failed = std::current_exception();
        if (own) {
            // Building the message may itself throw (out of memory): nothing
            // may leave run(), or its writers would never be told they are done.
            try {
                failed = std::make_exception_ptr(DbError(
                    sdk::ErrorKind::transient, std::string("the shared transaction was rolled back: ") + e.what()));
            } catch (...) {
                failed = std::current_exception();
            }
        }
        for (const auto& w : batch) {
            if (!w->error) w->error = failed;
        }
    } catch (...) {
        const auto failed = std::current_exception();
        for (const auto& w : batch) {
            if (!w->error) w->error = failed;
        }
    }
}

}  // namespace scanorch::store_sql

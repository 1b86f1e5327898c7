#include "scanorch/store_sql/commit_group.h"

namespace scanorch::store_sql {

void CommitGroup::write(const std::function<void(Connection&)>& work) {
    if (!shared_) {
        auto c = pool_.write_lease();
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
            batch.swap(waiting_);
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
    } catch (...) {
        const auto failed = std::current_exception();
        for (auto* w : batch) {
            if (!w->error) w->error = failed;
        }
    }
}

}  // namespace scanorch::store_sql

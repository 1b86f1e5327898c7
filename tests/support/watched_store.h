// A store plugin seen through the SDK boundary: every call goes to the real
// store underneath (a real sqlite-store in the tests), counted, and a test
// may run its own code right after the host's expired() call, where another
// process's write would land between the host's list and its delete.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scanorch/sdk/store.h"

namespace scanorch::testing {

class WatchedTasks final : public sdk::TaskTable {
public:
    explicit WatchedTasks(sdk::TaskTable& real) : real_(real) {}

    /// Calls that return a task's document (and payload).
    std::atomic<int> documents_read{0};
    /// Rows of list() pages, with or without their documents.
    std::atomic<int> rows_listed{0};
    /// Runs once after the next expired() returns, before the host sees its answer.
    std::function<void(const std::vector<std::string>&)> after_expired;
    /// Runs once after the next get() has read its row, before the host sees
    /// it: what the host does then happens while that read is in flight.
    std::function<void(const std::string&)> after_get;

    /// Answers create() with the row's revision left 0, as a plugin that
    /// returns its input would (the SDK says nothing of the row it returns).
    bool create_answers_no_revision = false;

    sdk::Result<sdk::StoredTask> create(const sdk::StoredTask& t) noexcept override {
        auto r = real_.create(t);
        if (r && create_answers_no_revision) r->revision = 0;
        return r;
    }
    sdk::Result<sdk::StoredTask> get(const std::string& id) noexcept override {
        ++documents_read;
        auto row = real_.get(id);
        if (after_get) std::exchange(after_get, nullptr)(id);
        return row;
    }
    sdk::Result<sdk::UpdateResult> update(const sdk::StoredTask& t, const sdk::WriteGuard& g) noexcept override {
        return real_.update(t, g);
    }
    sdk::Result<void> touch(const std::string& id, std::int64_t at) noexcept override { return real_.touch(id, at); }
    sdk::Result<bool> remove(const std::string& id) noexcept override { return real_.remove(id); }
    sdk::Result<sdk::TaskPage> list(const sdk::TaskQuery& q) noexcept override {
        auto page = real_.list(q);
        if (page) {
            rows_listed += static_cast<int>(page->tasks.size());
            if (q.with_document) documents_read += static_cast<int>(page->tasks.size());
        }
        return page;
    }
    sdk::Result<std::vector<std::string>> expired(std::int64_t idle_before, std::uint32_t limit) noexcept override {
        auto ids = real_.expired(idle_before, limit);
        if (ids && after_expired) std::exchange(after_expired, nullptr)(*ids);
        return ids;
    }
    void* extension(std::string_view id) noexcept override { return real_.extension(id); }

private:
    sdk::TaskTable& real_;
};

class WatchedStore final : public sdk::Store {
public:
    explicit WatchedStore(std::shared_ptr<sdk::Store> real) : real_(std::move(real)), tasks_(real_->tasks()) {}
    WatchedTasks& watched() { return tasks_; }

    sdk::Result<void> ping() noexcept override { return real_->ping(); }
    sdk::Result<std::uint32_t> schema_version() noexcept override { return real_->schema_version(); }
    sdk::TaskTable& tasks() noexcept override { return tasks_; }
    sdk::FindingIndex& findings() noexcept override { return real_->findings(); }
    void* extension(std::string_view id) noexcept override { return real_->extension(id); }

private:
    std::shared_ptr<sdk::Store> real_;
    WatchedTasks tasks_;
};

}  // namespace scanorch::testing

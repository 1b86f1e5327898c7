// An upgrade from the file task store: data_dir/tasks as an earlier scanorch
// wrote it (task.json, payload.sealed, the export) comes into a real
// sqlite-store, a finished task's export indexed by the real validator.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "report_items.h"
#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/tasks/legacy_import.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "task_store_access.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

class LegacyImportTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("scanorch-legacy-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        store_ = scanorch::testing::open_task_store(dir_, SQLITE_STORE_PLUGIN);
        static sf::PluginLoader loader;
        if (!loader.find("nessus-validator")) {
            ASSERT_TRUE(loader.load_file(NESSUS_VALIDATOR_PLUGIN).ok());
        }
        auto services = std::make_shared<sf::HostServices>(nullptr, dir_.string());
        auto made = loader.instantiate<sdk::Validator>("nessus-validator", "{}",
                                                       sf::HostApi::make(services, "nessus-validator"));
        ASSERT_TRUE(made) << made.error().message;
        validator_ = std::move(made).value();
        minor_ = loader.find("nessus-validator")->abi_minor;
    }
    void TearDown() override {
        validator_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    // One task directory as the file store wrote it.
    /// The task's indexed findings equal its export's report items, counted
    /// in the file itself.
    void expect_indexed_as_exported(const std::string& id, const std::string& export_path) {
        const auto items = scanorch::testing::report_item_tags(export_path);
        sdk::FindingPageQuery q;
        q.task_id = id;
        q.limit = 1;
        q.count = true;
        auto page = store_->findings().page(q);
        ASSERT_TRUE(page) << page.error().message;
        EXPECT_EQ(page->total.value_or(0), items);
        EXPECT_GT(items, 0u);
    }

    void write_legacy(sf::TaskRecord t, const std::string& payload, const std::string& fixture = "") {
        const auto d = dir_ / "tasks" / t.task_id;
        std::filesystem::create_directories(d);
        if (!fixture.empty()) {
            const auto name = "scan-1-attempt.nessus";
            std::filesystem::copy_file(std::string(NESSUS_FIXTURES) + "/" + fixture, d / name);
            t.export_path = (d / name).string();
        }
        std::ostringstream json;
        sf::to_json(t)->stringify(json, 2);
        std::ofstream(d / "task.json") << json.str();
        if (!payload.empty()) std::ofstream(d / "payload.sealed") << payload;
    }

    static sf::TaskRecord record(const std::string& id, sf::TaskStatus status) {
        sf::TaskRecord t;
        t.task_id = id;
        t.scan_type = sdk::ScanType::trusted_basic;
        t.targets = "192.0.2.1";
        t.status = status;
        t.phase = sf::is_terminal(status) ? sf::TaskPhase::done : sf::TaskPhase::queued;
        t.created_at = 1'700'000'000'000;
        t.completed_at = sf::is_terminal(status) ? 1'700'000'100'000 : 0;
        t.lease_token = sf::is_terminal(status) ? "old-lease" : "";
        return t;
    }

    std::filesystem::path dir_;
    std::shared_ptr<sf::TaskStore> store_;
    std::shared_ptr<sdk::Validator> validator_;
    std::uint32_t minor_ = 0;
};

TEST_F(LegacyImportTest, EveryTaskPayloadAndResultComesIntoTheStore) {
    write_legacy(record("done-1", sf::TaskStatus::completed), "v1:sealed-done",
                 "defectdojo__nessus_with_cvssv3.nessus");
    write_legacy(record("queued-1", sf::TaskStatus::queued), "v1:sealed-queued");
    auto dead = record("dead-1", sf::TaskStatus::failed);
    dead.dead_letter = true;
    write_legacy(dead, "v1:sealed-dead");
    ASSERT_EQ(sf::legacy_task_count(dir_), 3u);

    const auto r = sf::import_legacy_tasks(dir_, *store_, validator_.get(), minor_);
    EXPECT_TRUE(r.problems.empty()) << r.problems.front();
    EXPECT_EQ(r.imported, 3u);
    EXPECT_EQ(r.indexed, 1u);
    EXPECT_TRUE(r.archived);
    EXPECT_EQ(sf::legacy_task_count(dir_), 0u) << "renamed, so the daemons stop warning";
    EXPECT_TRUE(std::filesystem::exists(dir_ / "tasks.imported" / "done-1" / "task.json")) << "kept, never deleted";

    EXPECT_EQ(store_->payload("queued-1").value_or(""), "v1:sealed-queued");
    EXPECT_EQ(store_->payload("dead-1").value_or(""), "v1:sealed-dead");
    EXPECT_TRUE(store_->load("dead-1")->dead_letter);
    const auto done = store_->load("done-1");
    ASSERT_TRUE(done);
    EXPECT_EQ(done->export_path, (store_->dir("done-1") / "scan-1-attempt.nessus").string());
    EXPECT_TRUE(std::filesystem::exists(done->export_path)) << "the export moved with its task";

    expect_indexed_as_exported("done-1", done->export_path);
}

// An import stopped half way (or a task already there) is run again safely;
// a broken task is named and keeps the old directory in place.
TEST_F(LegacyImportTest, RunsAgainSafelyAndNamesWhatItCannotImport) {
    write_legacy(record("ok-1", sf::TaskStatus::queued), "v1:a");
    write_legacy(record("no-payload", sf::TaskStatus::queued), "");
    auto first = sf::import_legacy_tasks(dir_, *store_, validator_.get(), minor_);
    EXPECT_EQ(first.imported, 1u);
    ASSERT_EQ(first.problems.size(), 1u);
    EXPECT_NE(first.problems[0].find("no-payload"), std::string::npos) << first.problems[0];
    EXPECT_NE(first.problems[0].find("payload.sealed"), std::string::npos) << first.problems[0];
    EXPECT_FALSE(first.archived) << "kept while a task is not in";

    std::filesystem::remove_all(dir_ / "tasks" / "no-payload");  // the operator deals with it
    auto second = sf::import_legacy_tasks(dir_, *store_, validator_.get(), minor_);
    EXPECT_TRUE(second.problems.empty());
    EXPECT_EQ(second.imported, 0u);
    EXPECT_EQ(second.already, 1u);
    EXPECT_TRUE(second.archived);
    EXPECT_EQ(store_->payload("ok-1").value_or(""), "v1:a");
}

}  // namespace

namespace {

// An import stopped between its two steps: the row is written, and the
// export could not move (here: something in the way at its new place). The
// next run must finish the move and index the task, not leave the export in
// the archived directory with a row pointing at nothing.
TEST_F(LegacyImportTest, ARunAfterAnInterruptedImportFinishesTheMove) {
    write_legacy(record("half-1", sf::TaskStatus::completed), "v1:half", "defectdojo__nessus_with_cvssv3.nessus");
    std::filesystem::create_directories(store_->dir("half-1").parent_path());
    std::ofstream(store_->dir("half-1")) << "in the way";
    auto first = sf::import_legacy_tasks(dir_, *store_, validator_.get(), minor_);
    EXPECT_EQ(first.imported, 1u);
    ASSERT_EQ(first.problems.size(), 1u);
    EXPECT_NE(first.problems[0].find("could not be moved"), std::string::npos) << first.problems[0];
    EXPECT_FALSE(first.archived);
    ASSERT_TRUE(store_->load("half-1")) << "the first step happened";
    const auto old_place = dir_ / "tasks" / "half-1" / "scan-1-attempt.nessus";
    ASSERT_TRUE(std::filesystem::exists(old_place)) << "the second did not";

    std::filesystem::remove(store_->dir("half-1"));  // the operator clears the way and runs it again
    auto second = sf::import_legacy_tasks(dir_, *store_, validator_.get(), minor_);
    EXPECT_TRUE(second.problems.empty()) << second.problems.front();
    EXPECT_EQ(second.imported, 0u);
    EXPECT_EQ(second.already, 1u);
    EXPECT_EQ(second.indexed, 1u) << "the task's findings were never indexed";
    EXPECT_TRUE(second.archived);
    const auto done = store_->load("half-1");
    ASSERT_TRUE(done);
    EXPECT_TRUE(std::filesystem::exists(done->export_path))
        << "the export is where its row says: " << done->export_path;
    expect_indexed_as_exported("half-1", done->export_path);

    // Once finished, a third run changes nothing and indexes nothing again.
    std::filesystem::rename(dir_ / "tasks.imported", dir_ / "tasks");
    auto third = sf::import_legacy_tasks(dir_, *store_, validator_.get(), minor_);
    EXPECT_TRUE(third.problems.empty());
    EXPECT_EQ(third.already, 1u);
    EXPECT_EQ(third.indexed, 0u);
}

}  // namespace

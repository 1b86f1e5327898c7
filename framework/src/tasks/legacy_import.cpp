#include "scanorch/framework/tasks/legacy_import.h"

#include <Poco/JSON/Parser.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/framework/workers/finding_writer.h"

namespace scanorch::framework {

namespace {

bool read_file(const std::filesystem::path& p, std::string& out) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    return static_cast<bool>(in) || in.eof();
}

std::filesystem::path legacy_root(const std::filesystem::path& data_dir) { return data_dir / "tasks"; }

// Exports move (a rename within the data dir) once the row is written, so
// an import that stops half way finds them where it left them.
bool move_exports(const std::filesystem::path& from, TaskStore& store, const std::string& id) {
    bool ok = true;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(from, ec)) {
        const auto name = e.path().filename().string();
        if (name.rfind("scan-", 0) != 0 || e.path().extension() != ".nessus") continue;
        std::error_code mv;
        std::filesystem::create_directories(store.dir(id), mv);
        std::filesystem::rename(e.path(), store.dir(id) / name, mv);
        ok = ok && !mv;
    }
    return ok;
}

bool has_exports(const std::filesystem::path& from) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(from, ec)) {
        const auto name = e.path().filename().string();
        if (name.rfind("scan-", 0) == 0 && e.path().extension() == ".nessus") return true;
    }
    return false;
}

// Results of a finished run, indexed from its export as a worker would (the
// writer drops whatever an earlier, interrupted pass left first).
void index_findings(TaskStore& store, sdk::Validator& validator, std::uint32_t validator_abi_minor, const TaskRecord& t,
                    LegacyImport& report, const std::function<void(const std::string&)>& problem) {
    FindingWriter writer(store.findings(), t.task_id, t.lease_token, t.completed_at ? t.completed_at : t.updated_at);
    FindingsIndexing how = FindingsIndexing::no_writer;
    auto v =
        validate_with_findings(validator, validator_abi_minor, {t.export_path, t.scan_type, t.targets}, &writer, &how);
    if (!v) {
        problem("imported, but its findings could not be indexed: " + v.error().message);
    } else if (how == FindingsIndexing::indexed) {
        ++report.indexed;
    }
}

// Whether a finished task's findings are all in the index: none at all, or
// fewer than the items its validation counted, is an indexing pass that
// never ran or was cut short.
sdk::Result<bool> fully_indexed(TaskStore& store, const TaskRecord& t) {
    sdk::FindingPageQuery q;
    q.task_id = t.task_id;
    q.limit = 1;
    q.with_text = false;
    q.count = t.validation_stats.has_value();  // a pass over the task: only when there is a count to match
    auto p = store.findings().page(q);
    if (!p) return std::move(p).error();
    if (p->findings.empty()) return false;
    return !t.validation_stats || p->total.value_or(0) >= t.validation_stats->report_items;
}

}  // namespace

std::size_t legacy_task_count(const std::filesystem::path& data_dir) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(legacy_root(data_dir), ec)) {
        n += e.is_directory() && TaskStore::valid_id(e.path().filename().string()) ? 1 : 0;
    }
    return n;
}

LegacyImport import_legacy_tasks(const std::filesystem::path& data_dir, TaskStore& store, sdk::Validator* validator,
                                 std::uint32_t validator_abi_minor) {
    LegacyImport report;
    const auto root = legacy_root(data_dir);
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec)) return report;
    for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
        const auto id = e.path().filename().string();
        if (!e.is_directory() || !TaskStore::valid_id(id)) continue;
        const auto problem = [&](const std::string& why) { report.problems.push_back("task " + id + ": " + why); };
        std::string text, payload;
        if (!read_file(e.path() / "task.json", text)) {
            problem("no readable task.json");
            continue;
        }
        if (!read_file(e.path() / "payload.sealed", payload)) {
            problem("no readable payload.sealed (a task without it could never run again)");
            continue;
        }
        TaskRecord t;
        try {
            auto parsed = task_from_json(Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>());
            if (!parsed) {
                problem("task.json: " + parsed.error().message);
                continue;
            }
            t = std::move(parsed).value();
        } catch (const Poco::Exception& x) {
            problem("task.json is not JSON: " + x.displayText());
            continue;
        }
        if (t.task_id != id) {
            problem("task.json names task '" + t.task_id + "'");
            continue;
        }
        if (auto existing = store.load(id); existing) {
            ++report.already;
            // An earlier import that stopped after writing the row left the
            // rest undone (the export in the old directory, the findings not
            // indexed): this run finishes it, from the row as the store has it.
            const bool left_behind = has_exports(e.path());
            if (left_behind && !move_exports(e.path(), store, id)) {
                problem("in the store, but its export could not be moved to " + store.dir(id).string());
                continue;
            }
            const auto& row = *existing;
            std::error_code missing;
            if (validator == nullptr || row.export_path.empty() || !row.terminal() ||
                !std::filesystem::exists(row.export_path, missing)) {
                continue;
            }
            auto indexed = fully_indexed(store, row);
            if (!indexed) {
                problem("in the store, but its findings cannot be read: " + indexed.error().message);
                continue;
            }
            if (left_behind || !*indexed) index_findings(store, *validator, validator_abi_minor, row, report, problem);
            continue;
        }
        // The record names its export where it will be; a missing one is no result.
        const auto old_export = t.export_path;
        if (!t.export_path.empty()) {
            const auto name = std::filesystem::path(t.export_path).filename();
            t.export_path = std::filesystem::exists(e.path() / name) ? (store.dir(id) / name).string() : std::string();
        }
        if (auto created = store.create(t, payload); !created) {
            problem("cannot be written to the store: " + created.error().message);
            continue;
        }
        ++report.imported;
        if (!move_exports(e.path(), store, id)) {
            problem("imported, but its export could not be moved to " + store.dir(id).string() + " (still at " +
                    old_export + ")");
            continue;
        }
        if (validator == nullptr || t.export_path.empty() || !t.terminal()) continue;
        index_findings(store, *validator, validator_abi_minor, t, report, problem);
    }
    if (report.problems.empty()) {
        std::filesystem::rename(root, data_dir / "tasks.imported", ec);
        report.archived = !ec;
        std::filesystem::remove_all(data_dir / "client_tasks", ec);  // an index of the old files, nothing more
    }
    return report;
}

}  // namespace scanorch::framework

// One scan task as the task store keeps it (data_dir/tasks/{id}/task.json).
// Never holds credentials: those travel sealed (credential_sealer.h).
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scanorch::framework {

struct TaskRecord {
    std::string task_id;
    std::string trace_id;
    std::string scan_type;  ///< untrusted | trusted_basic | trusted_privileged
    std::string targets;
    std::string name;
    std::string description;
    std::string client;           ///< named API client that submitted it ("" = anonymous)
    std::uint32_t client_cap = 0; ///< that client's max_concurrent_scans when submitted (0 = none)
    std::string idempotency_key;

    std::string requested_scanner;
    std::string requested_pool;
    std::string queue;             ///< queue it was put in: a scanner id, or "" for global
    std::string scanner_instance;  ///< scanner running it (or expected to)
    std::string scanner_url;
    std::string scanner_pool;

    std::string status = "queued";  ///< queued | running | completed | failed | cancelled
    std::string phase = "queued";   ///< queued, waiting_for_client_slot, creating, launching, scanning, exporting, validating, done
    int progress = 0;               ///< 0..100
    std::string scan_id;            ///< the scanner's own id once created (lets a reclaimed task resume)
    std::uint32_t attempts = 0;
    bool dead_letter = false;       ///< in the dead-letter queue (failed, not yet retried or purged)

    std::int64_t created_at = 0;  ///< ms since the epoch, like every time here
    std::int64_t started_at = 0;
    std::int64_t completed_at = 0;
    std::int64_t last_accessed_at = 0;

    std::string error;
    std::string error_kind;  ///< the SDK error kind, or "validation"
    std::string export_path;
    std::string authentication_status;
    std::vector<std::string> validation_warnings;
    Poco::JSON::Object::Ptr validation_stats;  ///< null until validated

    bool terminal() const { return status == "completed" || status == "failed" || status == "cancelled"; }

    Poco::JSON::Object::Ptr to_json() const;
    static TaskRecord from_json(const Poco::JSON::Object::Ptr& o);
};

}  // namespace scanorch::framework

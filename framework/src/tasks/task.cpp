#include "scanorch/framework/tasks/task.h"

#include <Poco/UUIDGenerator.h>
#include <sys/random.h>

#include <cerrno>

#include "scanorch/sdk/hex.h"

namespace scanorch::framework {

// One getrandom() call. Poco's generator opens, reads and closes
// /dev/urandom for every id: three system calls and a device open per
// submission, a few percent of its CPU. It stays the fallback for a kernel
// without getrandom (before 3.17). getrandom() waits only while the kernel's
// pool is not yet seeded, early in boot, before any service runs.
std::string new_task_id() {
    unsigned char b[16];
    std::size_t got = 0;
    while (got < sizeof b) {
        const auto n = ::getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
        }
        got += static_cast<std::size_t>(n);
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4: random
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // the RFC 4122 variant
    std::string id;
    id.reserve(36);
    for (std::size_t i = 0; i < sizeof b; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
        sdk::append_hex(id, b[i]);
    }
    return id;
}

void TaskRecord::reset_run() {
    progress = 0;
    scan = {};
    lease_token.clear();
    attempts = 0;
    dead_letter = false;
    started_at = 0;
    completed_at = 0;
    error.clear();
    failure = FailureKind::none;
    export_path.clear();
    authentication_status.reset();
    validation_warnings.clear();
    validation_stats.reset();
}

}  // namespace scanorch::framework

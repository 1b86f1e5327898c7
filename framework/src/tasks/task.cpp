#include "scanorch/framework/tasks/task.h"

namespace scanorch::framework {

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

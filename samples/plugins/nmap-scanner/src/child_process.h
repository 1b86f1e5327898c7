// A child process started without a shell (posix_spawn, argv as given) and
// owned: moving it moves the ownership, and the destructor stops the child
// and reaps it, so no run outlives its plugin instance or stays a zombie.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::nmap {

class ChildProcess {
public:
    enum class State : std::uint32_t { running = 1, exited = 2, killed = 3 };
    struct Status {
        State state = State::running;
        int code = 0;  ///< exit status (exited) or signal number (killed)
    };

    /// Starts argv[0] with argv, stdin from /dev/null and stdout and stderr
    /// appended to `output_path`, in its own process group, with no file
    /// descriptor of this process but those three.
    static sdk::Result<ChildProcess> spawn(const std::vector<std::string>& argv, const std::string& output_path);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const noexcept { return pid_; }

    /// Never blocks: reaps the child when it has ended.
    Status status() noexcept;

    /// Waits up to `limit` for the child to end on its own.
    Status wait_for(std::chrono::milliseconds limit) noexcept;

    /// SIGTERM to the child's process group, SIGKILL after `grace`; returns
    /// once the child is reaped.
    Status terminate(std::chrono::milliseconds grace = std::chrono::seconds(3)) noexcept;

private:
    explicit ChildProcess(pid_t pid) noexcept : pid_(pid) {}
    void release() noexcept;

    pid_t pid_ = -1;
    std::optional<Status> ended_;  ///< set once reaped: the pid may then belong to someone else
};

}  // namespace scanorch::nmap

// The daemon's event loop: a Boost.Asio io_context on a few threads that
// stops cleanly on SIGTERM or SIGINT (or stop()), running the registered
// shutdown steps in reverse order of registration.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace scanorch::framework {

class Runtime {
public:
    explicit Runtime(unsigned threads = 2);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    boost::asio::io_context& io();

    /// Registers a step to run when the runtime stops (last registered, first run).
    void on_shutdown(std::string name, std::function<void()> step);

    /// Runs until a signal or stop(); then runs the shutdown steps and joins
    /// the threads. Returns the signal number that stopped it (0 for stop()).
    int run();

    /// Asks run() to return; safe from any thread, including a signal's.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace scanorch::framework

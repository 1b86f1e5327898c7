#include "scanorch/framework/runtime/runtime.h"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace scanorch::framework {

struct Runtime::Impl {
    explicit Impl(unsigned n) : threads(n == 0 ? 1 : n), signals(io, SIGINT, SIGTERM) {}

    unsigned threads;
    boost::asio::io_context io;
    boost::asio::signal_set signals;
    std::vector<std::pair<std::string, std::function<void()>>> shutdown;
    int stopped_by = 0;
};

Runtime::Runtime(unsigned threads) : impl_(std::make_unique<Impl>(threads)) {}
Runtime::~Runtime() = default;

boost::asio::io_context& Runtime::io() { return impl_->io; }

void Runtime::on_shutdown(std::string name, std::function<void()> step) {
    impl_->shutdown.emplace_back(std::move(name), std::move(step));
}

int Runtime::run() {
    auto& io = impl_->io;
    auto guard = std::make_optional(boost::asio::make_work_guard(io));
    impl_->signals.async_wait([this, &guard](const boost::system::error_code& ec, int sig) {
        if (ec) return;  // cancelled by stop()
        impl_->stopped_by = sig;
        spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        guard.reset();
        impl_->io.stop();
    });

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < impl_->threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();

    // Shutdown steps run outside the loop so each may block (join, drain).
    for (auto it = impl_->shutdown.rbegin(); it != impl_->shutdown.rend(); ++it) {
        spdlog::debug("shutdown: {}", it->first);
        try {
            it->second();
        } catch (const std::exception& e) {
            spdlog::error("shutdown step '{}' failed: {}", it->first, e.what());
        }
    }
    impl_->shutdown.clear();
    return impl_->stopped_by;
}

void Runtime::stop() {
    boost::asio::post(impl_->io, [this] {
        boost::system::error_code ignored;
        impl_->signals.cancel(ignored);
        impl_->io.stop();
    });
}

}  // namespace scanorch::framework

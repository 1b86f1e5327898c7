// A real redis-server on a free loopback port for the tests of one binary;
// no persistence, stopped at exit. Can be restarted on the same port.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace scanorch::testing {

class RedisServer {
public:
    /// `persist_dir` non-empty: append-only persistence there, so a restart keeps the data.
    explicit RedisServer(std::string persist_dir = "", std::string binary = REDIS_SERVER)
        : binary_(std::move(binary)), dir_(std::move(persist_dir)) {
        {
            Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
            port_ = probe.address().port();
        }
        start();
    }
    ~RedisServer() { stop(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    int port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

    void start() {
        std::vector<std::string> args = {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                                         "--loglevel", "warning"};
        if (dir_.empty()) {
            args.insert(args.end(), {"--appendonly", "no"});
        } else {
            args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", "always", "--dir", dir_});
        }
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(binary_, args));
        for (int i = 0; i < 100; ++i) {  // until it accepts connections
            try {
                Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
                return;
            } catch (...) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
    }

    void stop() {
        if (!handle_) return;
        try {
            Poco::Process::kill(*handle_);
            handle_->wait();
        } catch (...) {
        }
        handle_.reset();
    }

    /// A shared server for a test binary.
    static RedisServer& shared() {
        static RedisServer server;
        return server;
    }

private:
    std::string binary_;
    std::string dir_;
    int port_ = 0;
    std::unique_ptr<Poco::ProcessHandle> handle_;
};

}  // namespace scanorch::testing

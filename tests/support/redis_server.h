// A real redis-server on a free loopback port for the tests of one binary;
// no persistence, stopped at exit. Can be restarted on the same port.
// redis-server cannot bind port 0 and report its port, so the port is claimed
// (ports.h) and, once something answers there, the server's own process id
// (INFO server) must be this child's: a test never silently shares another
// test's Redis.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>

#include "ports.h"

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
        port_ = free_port();
        start();
    }
    ~RedisServer() { stop(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    int port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

    void start() {
        std::vector<std::string> args = {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save",
                                         "",       "--loglevel",          "warning"};
        if (dir_.empty()) {
            args.insert(args.end(), {"--appendonly", "no"});
        } else {
            args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", "always", "--dir", dir_});
        }
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(binary_, args));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {  // until it answers
            const long pid = answering_pid();
            if (pid == handle_->id()) return;
            if (pid > 0) {
                stop();
                throw std::runtime_error("port " + std::to_string(port_) + " is served by another redis-server (pid " +
                                         std::to_string(pid) + "), not the one this test started");
            }
            if (Poco::Process::tryWait(*handle_) != -1) {
                handle_.reset();
                throw std::runtime_error("redis-server exited at start on port " + std::to_string(port_));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        stop();
        throw std::runtime_error("redis-server did not answer on port " + std::to_string(port_) + " within 10 s");
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
    /// The process id the server on our port reports; 0 while nothing answers.
    long answering_pid() const {
        try {
            Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
            s.setReceiveTimeout(Poco::Timespan(2, 0));
            const std::string ask = "INFO server\r\n";
            s.sendBytes(ask.data(), static_cast<int>(ask.size()));
            std::string reply;
            char buf[4096];
            // A bulk reply: "$<len>\r\n<text>\r\n"; process_id is early in it.
            while (reply.find("process_id:") == std::string::npos ||
                   reply.find('\n', reply.find("process_id:")) == std::string::npos) {
                const int n = s.receiveBytes(buf, sizeof buf);
                if (n <= 0) return 0;
                reply.append(buf, static_cast<std::size_t>(n));
            }
            const auto at = reply.find("process_id:") + 11;
            return std::stol(reply.substr(at, reply.find('\r', at) - at));
        } catch (...) {
            return 0;  // not up yet (or still loading its data)
        }
    }

    std::string binary_;
    std::string dir_;
    int port_ = 0;
    std::unique_ptr<Poco::ProcessHandle> handle_;
};

}  // namespace scanorch::testing

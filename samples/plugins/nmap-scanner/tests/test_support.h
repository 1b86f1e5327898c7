// Shared by the nmap-scanner tests: fixture paths, a sink that keeps
// findings, and loopback listeners for nmap to find.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ports.h"
#include "scanorch/sdk/findings.h"

namespace scanorch::nmap::testing {

inline std::string fixture(const std::string& name) { return std::string(NMAP_FIXTURES) + "/" + name; }

/// Keeps every finding it is given.
class Collect final : public sdk::FindingSink {
public:
    std::vector<sdk::Finding> findings;
    sdk::Result<void> accept(const sdk::Finding& f) noexcept override {
        findings.push_back(f);
        return {};
    }
};

/// A TCP listener on 127.0.0.1 (a port from tests/support/ports.h) that
/// accepts each connection, sends `banner` (if any) and closes it: enough
/// for nmap -sV to finish at once rather than wait out its probes.
class Listener {
public:
    explicit Listener(std::string banner = "")
        : port_(scanorch::testing::free_port()),
          socket_(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_))),
          banner_(std::move(banner)),
          thread_([this] { serve(); }) {}
    ~Listener() {
        stop_ = true;
        thread_.join();
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    int port() const { return port_; }

private:
    void serve() {
        while (!stop_) {
            if (!socket_.poll(Poco::Timespan(0, 100'000), Poco::Net::Socket::SELECT_READ)) continue;
            try {
                Poco::Net::StreamSocket s = socket_.acceptConnection();
                if (!banner_.empty()) s.sendBytes(banner_.data(), static_cast<int>(banner_.size()));
                s.close();
            } catch (const Poco::Exception&) {
            }
        }
    }
    int port_;
    Poco::Net::ServerSocket socket_;
    std::string banner_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace scanorch::nmap::testing

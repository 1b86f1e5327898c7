// Loopback ports for servers that cannot bind port 0 and report theirs
// (redis-server), or whose port a test must write into a config first.
// A random port below the kernel's ephemeral range, claimed by an exclusive
// lock on /tmp/scanorch-test-ports/PORT held until this process ends, and
// checked free by binding it once. The shell tests claim theirs the same way (processes.sh, free_port),
// so tests running at once never hand out the same port, not even while the
// server on it is down for a restart.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

namespace scanorch::testing {

// Below the kernel's ephemeral range (ip_local_port_range): a port from
// that range, free when probed, can become the source port of any outgoing
// connection (a test's client of Redis or PostgreSQL) before the server
// binds it, and the server then fails with "Address already in use" (seen
// once in ten full runs of the suite). Ports below it are only ever bound
// on purpose.
inline std::pair<int, int> test_port_range() {
    int low = 32768;
    if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
        int a = 0, b = 0;
        if (std::fscanf(f, "%d %d", &a, &b) == 2 && a > 2048) low = a;
        std::fclose(f);
    }
    return {std::max(1024, low - 12000), low - 1};
}

inline int free_port() {
    static std::mutex mu;
    std::lock_guard lock(mu);
    const std::string dir = "/tmp/scanorch-test-ports";
    ::mkdir(dir.c_str(), 01777);
    ::chmod(dir.c_str(), 01777);  // shared by every user's tests: sticky, like /tmp
    const auto [lo, hi] = test_port_range();
    static std::mt19937 pick(std::random_device{}());
    std::uniform_int_distribution<int> any(lo, hi);
    for (int attempt = 0; attempt < 200; ++attempt) {
        const int port = any(pick);
        const std::string file = dir + "/" + std::to_string(port);
        const int fd = ::open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            continue;
        }
        try {  // claimed; free right now too (no server of anything else on it)?
            Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
            return port;  // fd left open: the claim lasts as long as we do
        } catch (const Poco::Exception&) {
            ::close(fd);
        }
    }
    throw std::runtime_error("no free loopback port that no other test holds after 200 tries");
}

}  // namespace scanorch::testing

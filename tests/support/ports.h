// Loopback ports for servers that cannot bind port 0 and report theirs
// (redis-server), or whose port a test must write into a config first.
// The kernel picks a free port (bind to port 0); the port is then claimed by
// an exclusive lock on /tmp/scanorch-test-ports/PORT, held until this process
// ends. The shell tests claim theirs the same way (processes.sh, free_port),
// so tests running at once never hand out the same port, not even while the
// server on it is down for a restart.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace scanorch::testing {

inline int free_port() {
    static std::mutex mu;
    std::lock_guard lock(mu);
    const std::string dir = "/tmp/scanorch-test-ports";
    ::mkdir(dir.c_str(), 01777);
    ::chmod(dir.c_str(), 01777);  // shared by every user's tests: sticky, like /tmp
    for (int attempt = 0; attempt < 100; ++attempt) {
        int port = 0;
        {
            Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
            port = probe.address().port();
        }
        const std::string file = dir + "/" + std::to_string(port);
        const int fd = ::open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return port;  // fd left open: the claim lasts as long as we do
        ::close(fd);
    }
    throw std::runtime_error("no free loopback port that no other test holds after 100 tries");
}

}  // namespace scanorch::testing

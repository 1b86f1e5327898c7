// A real PostgreSQL server for the tests of one binary: initdb in a temporary
// directory, pg_ctl start on a free loopback port (no Unix socket outside
// that directory), stopped and removed at exit. A watchdog process stops it
// too when the test binary dies without running its destructors (a crash, an
// abort), so no postmaster outlives its test.
//
// initdb refuses to run as root: as root, the server runs as the `postgres`
// user the Debian package creates.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ports.h"

namespace scanorch::testing {

class PostgresServer {
public:
    explicit PostgresServer(std::string bin_dir = POSTGRES_BIN_DIR) : bin_(std::move(bin_dir)) {
        char tmpl[] = "/tmp/scanorch-pg-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        port_ = free_port();  // claimed, and out of the ephemeral range (ports.h)
        if (::geteuid() == 0) {
            const passwd* pw = ::getpwnam("postgres");
            if (pw == nullptr)
                throw std::runtime_error("running as root and there is no 'postgres' user to run the server");
            if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + dir_);
            as_user_ = {"/usr/sbin/runuser", "-u", "postgres", "--"};
        }
        start_watchdog();
        run(bin_ + "/initdb", {"-D", data(), "-U", "scanorch", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
            "initdb");
        run(bin_ + "/pg_ctl",
            {"-D", data(), "-l", dir_ + "/server.log", "-w", "-t", "60", "-o", server_options(), "start"},
            "pg_ctl start");
        for (int i = 0; i < 100; ++i) {  // pg_ctl -w waited already; belt and braces for the TCP listener
            try {
                Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
                return;
            } catch (...) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        throw std::runtime_error("PostgreSQL did not listen on port " + std::to_string(port_) + "; see " + dir_ +
                                 "/server.log");
    }

    ~PostgresServer() {
        try {
            run(bin_ + "/pg_ctl", {"-D", data(), "-m", "immediate", "-w", "stop"}, "pg_ctl stop");
        } catch (...) {
        }
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        if (watchdog_ > 0) {
            ::close(watchdog_pipe_);  // the watchdog sees EOF, finds the server gone, exits
            ::waitpid(watchdog_, nullptr, 0);
        }
    }
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    /// Stops the server (connections are cut) and starts it again on the same port and data.
    void restart() const {
        run(bin_ + "/pg_ctl", {"-D", data(), "-m", "fast", "-w", "stop"}, "pg_ctl stop");
        run(bin_ + "/pg_ctl",
            {"-D", data(), "-l", dir_ + "/server.log", "-w", "-t", "60", "-o", server_options(), "start"},
            "pg_ctl start");
    }

    int port() const { return port_; }
    /// The superuser's URL on the default database.
    std::string url() const { return "postgresql://scanorch@127.0.0.1:" + std::to_string(port_) + "/postgres"; }

    static PostgresServer& shared() {
        static PostgresServer server;
        return server;
    }

private:
    std::string data() const { return dir_ + "/data"; }
    std::string server_options() const {
        // fsync off: a test database need not survive a power cut, and it keeps the suite fast.
        return "-p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1 -k " + dir_ +
               " -c fsync=off -c full_page_writes=off -c max_connections=200";
    }

    void run(const std::string& program, const std::vector<std::string>& args, const std::string& what) const {
        std::vector<std::string> argv = as_user_;
        argv.push_back(program);
        argv.insert(argv.end(), args.begin(), args.end());
        const std::string exe = argv.front();
        argv.erase(argv.begin());
        Poco::Pipe out;
        auto h = Poco::Process::launch(exe, argv, nullptr, &out, &out);
        Poco::PipeInputStream in(out);
        std::stringstream text;
        text << in.rdbuf();
        const int rc = h.wait();
        if (rc != 0) throw std::runtime_error(what + " failed (exit " + std::to_string(rc) + "): " + text.str());
    }

    // A child that waits for this process to end (its end of the pipe closes,
    // however the process died), then stops the server and removes the
    // directory if the destructor did not.
    void start_watchdog() {
        std::vector<std::string> argv = as_user_;
        const std::string stop = bin_ + "/pg_ctl -D " + data() + " -m immediate -w stop >/dev/null 2>&1";
        std::vector<std::string> cmd = {"/bin/sh", "-c",
                                        "cat >/dev/null; [ -f " + data() + "/postmaster.pid ] && " +
                                            (as_user_.empty() ? stop : "/usr/sbin/runuser -u postgres -- " + stop) +
                                            "; rm -rf " + dir_};
        std::vector<char*> args;
        for (auto& s : cmd) args.push_back(s.data());
        args.push_back(nullptr);
        int fds[2];
        // Close-on-exec: a server started later must not hold the write end open.
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            ::dup2(fds[0], 0);
            ::close(fds[0]);
            ::close(fds[1]);
            ::setsid();  // not killed with the test's process group by a timeout
            ::execv("/bin/sh", args.data());
            ::_exit(127);
        }
        ::close(fds[0]);
        watchdog_ = pid;
        watchdog_pipe_ = fds[1];
    }

    std::string bin_;
    std::string dir_;
    int port_ = 0;
    std::vector<std::string> as_user_;
    pid_t watchdog_ = -1;
    int watchdog_pipe_ = -1;
};

}  // namespace scanorch::testing

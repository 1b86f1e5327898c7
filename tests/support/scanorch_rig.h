// Test support for end-to-end fault tests: child processes with their output
// in a log file (reaped with SIGKILL when the test ends), a REST client for
// scanorchd's HTTP front end, a redis-cli runner, and waiting on conditions
// with deadlines instead of fixed sleeps.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ports.h"

namespace scanorch::testing {

using Clock = std::chrono::steady_clock;
using JsonPtr = Poco::JSON::Object::Ptr;

/// Polls `done` every `step` until it holds or `timeout` passes; true when it held.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds step = std::chrono::milliseconds(100)) {
    const auto end = Clock::now() + timeout;
    while (true) {
        if (done()) return true;
        if (Clock::now() >= end) return false;
        std::this_thread::sleep_for(step);
    }
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A child process (exec'd through /bin/sh only to redirect its output to
/// `log`), signalled and reaped by the test; SIGKILLed and reaped at the latest
/// when destroyed, so no test leaves one behind.
class Child {
public:
    Child(std::string name, const std::string& binary, const std::vector<std::string>& args, std::filesystem::path log)
        : name_(std::move(name)), log_(std::move(log)) {
        auto quote = [](const std::string& s) {
            std::string q = "'";
            for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
            return q + "'";
        };
        std::string cmd = "exec " + quote(binary);
        for (const auto& a : args) cmd += " " + quote(a);
        cmd += " >>" + quote(log_.string()) + " 2>&1";
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", {"-c", cmd}));
    }
    ~Child() { kill9(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    const std::string& name() const { return name_; }
    const std::filesystem::path& log() const { return log_; }
    std::string log_text() const { return read_file(log_); }

    /// True while the process runs; once it has ended, its exit status is kept.
    bool alive() {
        if (!handle_) return false;
        const int rc = handle_->tryWait();
        if (rc == -1) return true;
        exit_code_ = rc;
        handle_.reset();
        return false;
    }
    std::optional<int> exit_code() const { return exit_code_; }
    /// "running", "exit code N" or "killed by signal N (Aborted)"; Poco reports a signal as 256 + N.
    std::string how_it_ended() const {
        if (!exit_code_) return "running";
        if (*exit_code_ > 256) {
            const int sig = *exit_code_ - 256;
            return "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
        }
        return "exit code " + std::to_string(*exit_code_);
    }

    void signal(int sig) {
        if (handle_) ::kill(handle_->id(), sig);
    }

    /// SIGTERM, then waits up to `timeout` for it to end; true when it did.
    bool terminate(std::chrono::milliseconds timeout) {
        signal(SIGTERM);
        return wait_until([&] { return !alive(); }, timeout, std::chrono::milliseconds(50));
    }

    void kill9() {
        if (!handle_) return;
        ::kill(handle_->id(), SIGKILL);
        try {
            exit_code_ = handle_->wait();
        } catch (...) {
        }
        handle_.reset();
    }

private:
    std::string name_;
    std::filesystem::path log_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
    std::optional<int> exit_code_;
};

struct HttpReply {
    int status = 0;    ///< 0: no answer (connection refused, timeout)
    std::string body;  ///< or why there was no answer
    JsonPtr json() const {
        try {
            return Poco::JSON::Parser().parse(body).extract<JsonPtr>();
        } catch (...) {
            return nullptr;
        }
    }
};

inline HttpReply http_call(int port, const std::string& method, const std::string& path, const std::string& body = "",
                           const std::string& token = "") {
    HttpReply r;
    try {
        Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
        s.setTimeout(Poco::Timespan(20, 0));
        Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!token.empty()) req.set("Authorization", "Bearer " + token);
        if (method == "POST") {
            req.setContentType("application/json");
            req.setContentLength(static_cast<std::streamsize>(body.size()));
            s.sendRequest(req) << body;
        } else {
            s.sendRequest(req);
        }
        Poco::Net::HTTPResponse res;
        std::istream& in = s.receiveResponse(res);
        Poco::StreamCopier::copyToString(in, r.body);
        r.status = static_cast<int>(res.getStatus());
    } catch (const Poco::Exception& e) {
        r.status = 0;
        r.body = e.displayText();
    } catch (const std::exception& e) {
        r.status = 0;
        r.body = e.what();
    }
    return r;
}

/// Runs a program to its end; its exit code and stdout+stderr.
struct RunResult {
    int rc = -1;
    std::string out;
};
inline RunResult run_program(const std::string& binary, const std::vector<std::string>& args) {
    Poco::Pipe out;
    auto h = Poco::Process::launch(binary, args, nullptr, &out, &out);
    Poco::PipeInputStream in(out);
    RunResult r;
    Poco::StreamCopier::copyToString(in, r.out);
    r.rc = h.wait();
    return r;
}

}  // namespace scanorch::testing

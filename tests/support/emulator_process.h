// Starts a real nessus-emulator on a free loopback port for a test, and stops
// it (SIGINT, then wait) when the test ends.
#pragma once

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace scanorch::testing {

class EmulatorProcess {
public:
    /// `args` are added after "--listen 127.0.0.1:0".
    EmulatorProcess(const std::string& binary, std::vector<std::string> args) {
        args.insert(args.begin(), {"--listen", "127.0.0.1:0"});
        Poco::Pipe out;
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(binary, args, nullptr, &out, nullptr));
        Poco::PipeInputStream in(out);
        std::string line;
        std::getline(in, line);  // "nessus-emulator listening on http://127.0.0.1:PORT"
        const auto at = line.find(" on ");
        if (at == std::string::npos) {
            stop();
            throw std::runtime_error("nessus-emulator did not start: '" + line + "'");
        }
        url_ = line.substr(at + 4);
        port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
        out.close(Poco::Pipe::CLOSE_READ);
    }
    ~EmulatorProcess() { stop(); }
    EmulatorProcess(const EmulatorProcess&) = delete;
    EmulatorProcess& operator=(const EmulatorProcess&) = delete;

    const std::string& url() const { return url_; }
    int port() const { return port_; }

    /// Stops it now (the test can then check connection-refused paths).
    void stop() {
        if (!handle_) return;
        try {
            Poco::Process::requestTermination(handle_->id());
            handle_->wait();
        } catch (...) {
        }
        handle_.reset();
    }

private:
    std::unique_ptr<Poco::ProcessHandle> handle_;
    std::string url_;
    int port_ = 0;
};

}  // namespace scanorch::testing

// The server's threads: each connection lives on one event loop, a new one
// goes to the loop with the fewest, calls on different loops run at once,
// and stop() lets running calls finish and runs no more. Real sockets on
// loopback, a real Server, a handler that can be held.
#include <gtest/gtest.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "http_server.h"

namespace {

using namespace std::chrono_literals;
using scanorch::http::Reply;
using scanorch::http::Request;
using scanorch::http::Server;
using scanorch::http::ServerOptions;

// GET /hold waits until released (10 s at most, so a broken test ends);
// every request answers with the id of the thread that ran it.
class Gate {
public:
    Reply handle(const Request& r) {
        const auto me = thread_name();
        if (r.target() == "/hold") {
            std::unique_lock lock(mu_);
            ++holding_;
            max_holding_ = std::max(max_holding_, holding_);
            changed_.notify_all();
            changed_.wait_for(lock, 10s, [&] { return open_; });
            --holding_;
        }
        ++calls_;
        return Reply{200, me, "text/plain", {}};
    }
    void open() {
        std::lock_guard lock(mu_);
        open_ = true;
        changed_.notify_all();
    }
    // Waits until `n` calls are held at once; false after 5 s.
    bool wait_holding(int n) {
        std::unique_lock lock(mu_);
        return changed_.wait_for(lock, 5s, [&] { return holding_ >= n; });
    }
    int max_holding() {
        std::lock_guard lock(mu_);
        return max_holding_;
    }
    int calls() const { return calls_.load(); }

private:
    static std::string thread_name() {
        std::ostringstream out;
        out << std::this_thread::get_id();
        return out.str();
    }
    std::mutex mu_;
    std::condition_variable changed_;
    bool open_ = false;
    int holding_ = 0;
    int max_holding_ = 0;
    std::atomic<int> calls_{0};
};

struct Running {
    explicit Running(unsigned threads) {
        ServerOptions o;
        o.threads = threads;
        server = std::make_unique<Server>(
            o, [this](const Request& r) { return gate.handle(r); }, [](const std::string&) {});
        auto at = server->start();
        if (!at) throw std::runtime_error(at.error().message);
        port = Poco::URI(*at).getPort();
    }
    ~Running() {
        gate.open();
        server->stop();
    }
    Gate gate;
    std::unique_ptr<Server> server;
    Poco::UInt16 port = 0;
};

// One keep-alive connection.
class Client {
public:
    explicit Client(Poco::UInt16 port) : s_("127.0.0.1", port) {
        s_.setKeepAlive(true);
        s_.setTimeout(Poco::Timespan(15, 0));
    }
    // The answering thread's id.
    std::string get(const std::string& path) {
        Poco::Net::HTTPRequest req("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setKeepAlive(true);
        s_.sendRequest(req);
        Poco::Net::HTTPResponse res;
        std::string body;
        Poco::StreamCopier::copyToString(s_.receiveResponse(res), body);
        EXPECT_EQ(res.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
        return body;
    }
    std::future<std::string> get_async(const std::string& path) {
        return std::async(std::launch::async, [this, path] { return get(path); });
    }
    // Closes, and returns once the server has dropped its side (it closes
    // the socket when the connection ends): its loop counts one fewer.
    void close_and_wait() {
        auto& socket = s_.socket();
        socket.shutdownSend();
        socket.setReceiveTimeout(Poco::Timespan(5, 0));
        char byte = 0;
        while (socket.receiveBytes(&byte, 1) > 0) {
        }
    }

private:
    Poco::Net::HTTPClientSession s_;
};

}  // namespace

TEST(HttpServer, ConnectionsUpToThreadsEachRunACallAtTheSameTime) {
    Running srv(3);
    Client a(srv.port), b(srv.port), c(srv.port);
    auto fa = a.get_async("/hold");
    auto fb = b.get_async("/hold");
    auto fc = c.get_async("/hold");
    EXPECT_TRUE(srv.gate.wait_holding(3)) << "three connections, three loops: three calls held at once";
    srv.gate.open();
    const auto ta = fa.get(), tb = fb.get(), tc = fc.get();
    EXPECT_NE(ta, tb);
    EXPECT_NE(tb, tc);
    EXPECT_NE(ta, tc);
}

TEST(HttpServer, ANewConnectionGoesToTheLoopWithFewestConnections) {
    Running srv(2);
    Client a(srv.port);
    const auto home_a = a.get("/");
    auto held = a.get_async("/hold");  // a's loop is busy from here
    ASSERT_TRUE(srv.gate.wait_holding(1));
    {
        Client b(srv.port);
        EXPECT_NE(b.get("/"), home_a) << "b is answered while a's loop is held";
        b.close_and_wait();
    }
    // b is gone: its loop has none, a's has one. Taking turns instead would
    // put c behind a's held call.
    Client c(srv.port);
    auto fc = c.get_async("/");
    ASSERT_EQ(fc.wait_for(5s), std::future_status::ready) << "c waits behind a's call on a's loop";
    EXPECT_NE(fc.get(), home_a);
    srv.gate.open();
    EXPECT_EQ(held.get(), home_a) << "a connection stays on its loop";
}

TEST(HttpServer, ConnectionsSharingALoopTakeTurns) {
    Running srv(1);
    Client a(srv.port), b(srv.port);
    auto held = a.get_async("/hold");
    ASSERT_TRUE(srv.gate.wait_holding(1));
    auto fb = b.get_async("/hold");  // would be held beside a's, were the calls run at once
    EXPECT_EQ(fb.wait_for(300ms), std::future_status::timeout) << "one loop: b waits for a's call";
    srv.gate.open();
    EXPECT_EQ(fb.get(), held.get());
    EXPECT_EQ(srv.gate.max_holding(), 1) << "b's call ran beside a's on one loop";
}

// After stop() returns, no request is run: there is no thread left to run
// one. Until then it waits for the call being run.
TEST(HttpServer, StopWaitsForTheCallBeingRunAndRunsNoneAfterwards) {
    auto srv = std::make_unique<Running>(1);
    Client a(srv->port), b(srv->port);
    auto held = a.get_async("/hold");
    ASSERT_TRUE(srv->gate.wait_holding(1));
    auto fb = b.get_async("/");  // on the one loop, behind the held call
    auto stopped = std::async(std::launch::async, [&] { srv->server->stop(); });
    EXPECT_EQ(stopped.wait_for(300ms), std::future_status::timeout) << "stop() waits for the call being run";
    srv->gate.open();
    ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
    const int at_stop = srv->gate.calls();
    EXPECT_GE(at_stop, 1);
    try {
        Client late(srv->port);
        (void)late.get("/");
        ADD_FAILURE() << "a request after stop() was answered";
    } catch (const std::exception&) {  // refused: nothing listens
    }
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(srv->gate.calls(), at_stop) << "a request ran after stop() returned";
    for (auto* f : {&held, &fb}) {
        try {
            (void)f->get();  // answered before the stop, or dropped with its connection
        } catch (const std::exception&) {
        }
    }
}

// A new connection is not given to a loop running a call, even one with
// fewer connections: its first request would wait for that call.
TEST(HttpServer, ANewConnectionAvoidsALoopRunningACall) {
    Running srv(2);
    Client a(srv.port), b(srv.port), c(srv.port);  // each connects at its first request
    const auto home_a = a.get("/"), home_b = b.get("/"), home_c = c.get("/");
    ASSERT_NE(home_a, home_b);
    ASSERT_EQ(home_a, home_c) << "a tie goes round: c joins a";
    auto held = b.get_async("/hold");  // b's loop: one connection, running a call
    ASSERT_TRUE(srv.gate.wait_holding(1));
    Client d(srv.port);
    auto fd = d.get_async("/");
    ASSERT_EQ(fd.wait_for(5s), std::future_status::ready) << "d waits behind the call on the quieter loop";
    EXPECT_EQ(fd.get(), home_a);
    srv.gate.open();
    (void)held.get();
}

TEST(HttpServer, ManyConnectionsOnFewLoopsAreAllAnsweredInOrder) {
    Running srv(3);
    constexpr int kClients = 16, kRequests = 40;
    std::vector<std::future<int>> done;
    for (int i = 0; i < kClients; ++i) {
        done.push_back(std::async(std::launch::async, [&srv] {
            Client c(srv.port);
            const auto home = c.get("/");
            int answered = 1;
            for (int k = 1; k < kRequests; ++k) {
                if (c.get("/") != home) return -1;  // moved between loops
                ++answered;
            }
            return answered;
        }));
    }
    for (auto& d : done) EXPECT_EQ(d.get(), kRequests);
    EXPECT_EQ(srv.gate.calls(), kClients * kRequests);
}

// The http front end's connection handling: an event-driven HTTP/1.1 server
// (Boost.Beast on Asio) that hands each complete request to one function.
//
// Why not a thread per connection: MCP clients and pollers hold keep-alive
// connections open; with a thread per connection, 200 pollers mean 200
// runnable threads on two cores and the scheduler, not the work, sets the
// latency. Here a few threads serve every connection, each running an event
// loop of its own; a connection stays on the loop it was given (the one with
// the fewest connections then), and an idle connection costs a socket and a
// buffer. Why a request runs on its connection's thread, not a pool: see
// http_server.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::http {

/// Whether a request's body arrived, and all of it.
enum class BodyState {
    complete,
    too_large,   ///< over max_body_bytes: not read; the connection closes after the reply
    incomplete,  ///< stalled past request_timeout or cut off: the connection closes after the reply
    pending,     ///< headers only, the body not read yet (HeaderCheck)
};

/// A request as the routes see it: valid for the duration of the call.
class Request {
public:
    virtual ~Request() = default;
    virtual std::string_view method() const = 0;
    virtual std::string_view target() const = 0;  ///< path and query, as sent
    /// A header's value, or "" when it is absent (names are case-insensitive).
    virtual std::string_view header(std::string_view name) const = 0;
    virtual std::string_view body() const = 0;  ///< empty unless body_state() is complete
    virtual BodyState body_state() const = 0;
};

struct Reply {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::map<std::string, std::string> headers;
};

using RequestHandler = std::function<Reply(const Request&)>;
/// Judges a request from its headers alone, before its body is read or
/// `100 Continue` is sent: a Reply refuses it (the connection then closes
/// without reading the body), nullopt lets it go on to the handler.
using HeaderCheck = std::function<std::optional<Reply>(const Request&)>;

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string tls_cert, tls_key;  ///< both set: HTTPS
    /// Event loops, each a thread that reads, runs and answers its
    /// connections' requests; a tool call that waits holds its loop.
    unsigned threads = 16;
    std::size_t max_connections = 1024;
    std::size_t max_connections_per_address = 256;  ///< open connections from one client address
    std::uint64_t max_body_bytes = 1 << 20;
    std::chrono::seconds request_timeout{30};    ///< a request's headers, body or reply stalled this long
    std::chrono::seconds keep_alive_timeout{5};  ///< an idle connection between requests
};

/// One connection's bytes, served without a socket: parsed with the limits
/// and answered with the decisions of a real connection (header check before
/// the body, body cap, pipelining, close after a refusal), every reply in
/// order. Input that ends mid-request gets what a stalled connection gets.
/// For the fuzz target.
std::vector<Reply> serve_bytes(std::string_view bytes, const ServerOptions& options, const RequestHandler& handler,
                               const HeaderCheck& check = {});

class Server {
public:
    using Warn = std::function<void(const std::string&)>;
    Server(ServerOptions options, RequestHandler handler, Warn warn, HeaderCheck check = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds, listens and starts the threads; returns the endpoint
    /// ("http://127.0.0.1:8836"), or an error naming the address or file.
    sdk::Result<std::string> start();
    /// Stops accepting, drops open connections after the requests being run
    /// finish, and joins every thread. The handler is not called after it.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace scanorch::http

// Connection handling on Boost.Beast, timeouts on every wait. Beast parses
// the HTTP (limits, chunked bodies, keep-alive rules); this file decides when
// to read, when to give up, and when to close.
//
// Threads: `threads` threads each run an io_context of their own, and a
// connection lives on one of them for its whole life: its reads, parsing,
// TLS, tool calls and writes never leave that thread, so they need no strand
// and wake no other thread. A new connection goes to the thread with the
// fewest, so up to `threads` connections each have one to themselves; past
// that, connections that share a thread take turns. One io_context shared
// by every thread (any thread runs any completion) made each read, write and
// cancelled timer wake an idle thread to run it: about twenty context
// switches per request, measured. Handing each call to a separate pool cost
// two wake-ups per request, and on a busy host each waits its turn on a CPU.
// A thread of its own accepts, so a long call never holds up new connections.

#include "http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace scanorch::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using beast::error_code;

constexpr std::size_t kHeaderLimit = 16 * 1024;
// After a reply that refuses the rest of a request, read and drop what the
// client still sends for a moment, so that closing does not reset the
// connection before the client has read the reply.
constexpr std::size_t kDrainLimit = 1 << 20;
constexpr auto kDrainTime = std::chrono::seconds(1);

std::string_view sv(beast::string_view v) { return {v.data(), v.size()}; }

// An error of Beast's HTTP parser (as opposed to one of the socket's).
bool parse_error(const error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

std::string json_error(std::string_view message) {
    std::string out = R"({"error":")";
    for (const char c : message) {  // messages are ours or Beast's: plain ASCII; keep the JSON valid regardless
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
    return out + "\"}";
}

class BeastRequest final : public Request {
public:
    BeastRequest(const bhttp::request<bhttp::string_body>& r, BodyState s) : r_(r), s_(s) {}
    std::string_view method() const override { return sv(r_.method_string()); }
    std::string_view target() const override { return sv(r_.target()); }
    std::string_view header(std::string_view name) const override {
        const auto it = r_.find(beast::string_view(name.data(), name.size()));
        return it == r_.end() ? std::string_view{} : sv(it->value());
    }
    std::string_view body() const override {
        return s_ == BodyState::complete ? std::string_view(r_.body()) : std::string_view{};
    }
    BodyState body_state() const override { return s_; }

private:
    const bhttp::request<bhttp::string_body>& r_;
    const BodyState s_;
};

// What every connection shares; outlives them (see Server::Impl).
struct Shared {
    ServerOptions opt;
    RequestHandler handler;
    HeaderCheck check;
    Server::Warn warn;
    std::atomic<std::size_t> connections{0};
    std::mutex per_address_mu;
    std::map<net::ip::address, std::size_t> per_address;  ///< open connections by client address
};

// A thread's event loop and the connections that live on it.
struct Loop {
    std::atomic<std::size_t> connections{0};  // before io: the connections io destroys count down here
    std::atomic<unsigned> calls{0};           // running a request now (0 or 1)
    net::io_context io{1};                    // one thread runs it (others may still post to it)
    // Runs while it has no connection too: the next may be handed to it.
    net::executor_work_guard<net::io_context::executor_type> idle = net::make_work_guard(io);
};

// One connection's place in its address's count, given back on destruction.
class AddressSlot {
public:
    AddressSlot(Shared& sh, net::ip::address a) : sh_(sh), a_(std::move(a)) {}
    ~AddressSlot() {
        std::lock_guard lock(sh_.per_address_mu);
        const auto it = sh_.per_address.find(a_);
        if (it != sh_.per_address.end() && --it->second == 0) sh_.per_address.erase(it);
    }
    AddressSlot(const AddressSlot&) = delete;
    AddressSlot& operator=(const AddressSlot&) = delete;

private:
    Shared& sh_;
    net::ip::address a_;
};

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
    static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
    template <class... Args>
    Session(Shared& shared, Loop& loop, std::unique_ptr<AddressSlot> slot, Args&&... args)
        : sh_(shared),
          loop_(loop),
          slot_(std::move(slot)),
          stream_(std::forward<Args>(args)...),
          body_timer_(stream_.get_executor()) {
        ++sh_.connections;
        ++loop_.connections;
    }
    ~Session() {
        --loop_.connections;
        --sh_.connections;
    }

    // Called on the accepting thread: everything from here on runs on the
    // connection's own.
    void run() {
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
    }

private:
    void begin() {
        if constexpr (kTls) {
            tcp().expires_after(sh_.opt.request_timeout);
            stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](error_code ec) {
                if (!ec) self->wait_for_request();
            });
        } else {
            wait_for_request();
        }
    }

    beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

    // Between requests the connection is idle: keep_alive_timeout (the first
    // request gets request_timeout). Once a byte arrives, the request has
    // request_timeout to arrive in full.
    void wait_for_request() {
        if (buffer_.size() > 0) return read_header();
        tcp().expires_after(first_ ? sh_.opt.request_timeout : sh_.opt.keep_alive_timeout);
        stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](error_code ec, std::size_t n) {
            if (ec) return;  // idle too long, or closed by the client: nothing to answer
            self->buffer_.commit(n);
            self->read_header();
        });
    }

    void read_header() {
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(sh_.opt.max_body_bytes);
        tcp().expires_after(sh_.opt.request_timeout);
        bhttp::async_read_header(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(error_code ec) {
        if (ec == bhttp::error::header_limit) return refuse(431, "request headers larger than 16 KiB");
        if (ec == bhttp::error::body_limit) return respond(BodyState::too_large);  // Content-Length over the cap
        if (parse_error(ec)) return refuse(400, "malformed HTTP request: " + ec.message());
        if (ec) return;  // stalled headers (slowloris), or the client went away: drop, answer nothing
        const auto& req = parser_->get();
        if (parser_->is_done()) return respond(BodyState::complete);
        // A body is owed: judge the headers first, so that a request refused
        // (no token, wrong origin) is not read, nor invited with 100 Continue.
        if (sh_.check) {
            std::optional<Reply> refused;
            try {
                refused = sh_.check(BeastRequest(req, BodyState::pending));
            } catch (const std::exception& e) {
                refused = Reply{500, json_error("internal error"), "application/json", {}};
                sh_.warn(std::string("request header check failed: ") + e.what());
            }
            if (refused) return send(std::move(*refused), req.version(), true);
        }
        if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
            continue_ = {bhttp::status::continue_, req.version()};
            bhttp::async_write(stream_, continue_, [self = this->shared_from_this()](error_code e, std::size_t) {
                if (!e) self->read_body();
            });
            return;
        }
        read_body();
    }

    // The body gets its own timer, not the stream's: a stream timeout closes
    // the socket, and a stalled body is owed a 408 before the close.
    void read_body() {
        tcp().expires_never();
        body_timed_out_ = false;
        body_timer_.expires_after(sh_.opt.request_timeout);
        body_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
            if (ec) return;  // cancelled: the body arrived
            self->body_timed_out_ = true;
            self->tcp().cancel();
        });
        bhttp::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](error_code e, std::size_t) {
            self->body_timer_.cancel();
            if (!e) return self->respond(BodyState::complete);
            if (e == bhttp::error::body_limit) return self->respond(BodyState::too_large);
            if (self->body_timed_out_ || e == bhttp::error::partial_message || e == bhttp::error::end_of_stream) {
                return self->respond(BodyState::incomplete);
            }
            if (parse_error(e)) return self->refuse(400, "malformed HTTP request body: " + e.message());
            // reset by the peer: no one to answer
        });
    }

    void respond(BodyState state) {
        struct Calling {  // the loop counts as busy while the handler runs
            explicit Calling(Loop& l) : loop(l) { ++loop.calls; }
            ~Calling() { --loop.calls; }
            Calling(const Calling&) = delete;
            Calling& operator=(const Calling&) = delete;
            Loop& loop;
        } calling(loop_);
        Reply r;
        try {
            r = sh_.handler(BeastRequest(parser_->get(), state));
        } catch (const std::exception& e) {
            r = {500, json_error("internal error"), "application/json", {}};
            sh_.warn(std::string("request handler failed: ") + e.what());
        }
        const bool close = state != BodyState::complete || !parser_->get().keep_alive();
        send(std::move(r), parser_->get().version(), close);
    }

    // A request too broken to route: answered here, then closed.
    void refuse(int status, const std::string& message) {
        send({status, json_error(message), "application/json", {}}, 11, true);
    }

    void send(Reply r, unsigned version, bool close) {
        res_ = {};
        res_.version(version);
        res_.result(static_cast<unsigned>(r.status));
        for (auto& [k, v] : r.headers) res_.set(k, v);
        res_.set(bhttp::field::content_type, r.content_type);
        res_.body() = std::move(r.body);
        res_.keep_alive(!close);
        res_.prepare_payload();
        tcp().expires_after(sh_.opt.request_timeout);
        bhttp::async_write(stream_, res_, [self = this->shared_from_this(), close](error_code ec, std::size_t) {
            if (ec) return;
            if (close) return self->shut_down();
            self->first_ = false;
            self->wait_for_request();
        });
    }

    void shut_down() {
        tcp().expires_after(kDrainTime);
        if constexpr (kTls) {
            stream_.async_shutdown([self = this->shared_from_this()](error_code) {});
        } else {
            error_code ec;
            tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
            drain();
        }
    }

    void drain() {
        stream_.async_read_some(net::buffer(discard_), [self = this->shared_from_this()](error_code ec, std::size_t n) {
            self->drained_ += n;
            if (!ec && self->drained_ < kDrainLimit) self->drain();
        });
    }

    Shared& sh_;
    Loop& loop_;
    std::unique_ptr<AddressSlot> slot_;
    Stream stream_;
    net::steady_timer body_timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bhttp::response<bhttp::empty_body> continue_;
    bhttp::response<bhttp::string_body> res_;
    std::array<char, 4096> discard_{};
    std::size_t drained_ = 0;
    bool first_ = true;
    bool body_timed_out_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // Accepts on `io`; each connection goes to the loop with the fewest, and
    // stays there.
    Listener(net::io_context& io, const std::vector<std::unique_ptr<Loop>>& loops, Shared& shared,
             net::ssl::context* tls)
        : loops_(loops), sh_(shared), tls_(tls), acceptor_(io), retry_(io) {}

    void listen(const tcp::endpoint& at) {
        acceptor_.open(at.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(at);
        acceptor_.listen(net::socket_base::max_listen_connections);
    }
    tcp::endpoint local() const { return acceptor_.local_endpoint(); }

    void accept() {
        acceptor_.async_accept(
            [self = shared_from_this()](error_code ec, tcp::socket s) { self->on_accept(ec, std::move(s)); });
    }

private:
    // A loop not running a call now (a long one would hold the newcomer's
    // first request up), and of those the one with the fewest connections;
    // ties go round, so idle loops share the newcomers.
    Loop& least_busy() {
        const auto load = [](const Loop& l) { return std::pair(l.calls.load() > 0, l.connections.load()); };
        Loop* home = loops_[next_++ % loops_.size()].get();
        for (const auto& l : loops_) {
            if (load(*l) < load(*home)) home = l.get();
        }
        return *home;
    }

    // The accepted socket, moved onto its loop's context.
    static std::optional<tcp::socket> move_to(Loop& home, tcp::socket& s) {
        error_code ec;
        const auto protocol = s.local_endpoint(ec).protocol();
        if (ec) return std::nullopt;
        const auto fd = s.release(ec);
        if (ec) return std::nullopt;
        tcp::socket moved(home.io);
        moved.assign(protocol, fd, ec);
        if (ec) {
            ::close(fd);
            return std::nullopt;
        }
        return moved;
    }

    void on_accept(error_code ec, tcp::socket s) {
        if (ec == net::error::operation_aborted) return;
        if (ec) {  // out of descriptors, most likely: back off instead of spinning
            sh_.warn("accept failed: " + ec.message());
            retry_.expires_after(std::chrono::milliseconds(100));
            retry_.async_wait([self = shared_from_this()](error_code e) {
                if (!e) self->accept();
            });
            return;
        }
        try {
            admit(std::move(s));
        } catch (const std::exception& e) {  // e.g. no memory for a TLS session: that connection is dropped
            sh_.warn(std::string("cannot take a connection: ") + e.what());
        }
        accept();  // whatever became of this one
    }

    // A new connection: refused when a cap is reached, else moved to its loop.
    void admit(tcp::socket s) {
        if (sh_.connections.load() >= sh_.opt.max_connections) {
            if (!full_logged_.exchange(true)) {
                sh_.warn("refusing connections: max_connections (" + std::to_string(sh_.opt.max_connections) +
                         ") are open");
            }
            error_code ignored;
            s.close(ignored);
            return;
        }
        full_logged_ = false;
        error_code ec2;
        auto address = s.remote_endpoint(ec2).address();
        if (ec2) {  // gone already
            s.close(ec2);
            return;
        }
        if (address.is_v6() && address.to_v6().is_v4_mapped()) {  // one host, however it reached a dual-stack socket
            address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
        }
        {
            std::lock_guard lock(sh_.per_address_mu);
            auto& n = sh_.per_address[address];
            if (n >= sh_.opt.max_connections_per_address) {
                if (!address_full_logged_.exchange(true)) {
                    sh_.warn("refusing connections from " + address.to_string() + ": max_connections_per_address (" +
                             std::to_string(sh_.opt.max_connections_per_address) + ") are open from it");
                }
                error_code ignored;
                s.close(ignored);
                return;
            }
            ++n;
        }
        address_full_logged_ = false;
        auto slot = std::make_unique<AddressSlot>(sh_, address);
        Loop& home = least_busy();
        auto at_home = move_to(home, s);
        if (!at_home) return;  // gone already (slot gives its count back)
        error_code ignored;
        at_home->set_option(tcp::no_delay(true), ignored);  // replies are one write; never wait for an ACK
        if (tls_ != nullptr) {
            std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(sh_, home, std::move(slot),
                                                                            std::move(*at_home), *tls_)
                ->run();
        } else {
            std::make_shared<Session<beast::tcp_stream>>(sh_, home, std::move(slot), std::move(*at_home))->run();
        }
    }

    const std::vector<std::unique_ptr<Loop>>& loops_;
    std::size_t next_ = 0;  ///< only the accepting thread reads it
    Shared& sh_;
    net::ssl::context* tls_;
    tcp::acceptor acceptor_;
    net::steady_timer retry_;
    std::atomic<bool> full_logged_{false};
    std::atomic<bool> address_full_logged_{false};
};

}  // namespace

std::vector<Reply> serve_bytes(std::string_view bytes, const ServerOptions& opt, const RequestHandler& handler,
                               const HeaderCheck& check) {
    std::vector<Reply> out;
    auto answer = [&](const bhttp::request<bhttp::string_body>& req, BodyState state) {
        try {
            out.push_back(handler(BeastRequest(req, state)));
        } catch (const std::exception&) {
            out.push_back({500, json_error("internal error"), "application/json", {}});
        }
        return state == BodyState::complete && req.keep_alive();  // go on with the next request?
    };
    while (!bytes.empty()) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(opt.max_body_bytes);
        error_code ec;
        auto feed = [&](bool header_only) {
            while (!bytes.empty() && !(header_only ? parser.is_header_done() : parser.is_done())) {
                const auto n = parser.put(net::buffer(bytes.data(), bytes.size()), ec);
                bytes.remove_prefix(n);
                if (ec == bhttp::error::need_more) {
                    ec = {};
                    if (n == 0) break;  // the rest is not a whole element: wait for more, which never comes
                    continue;
                }
                if (ec) return;
                if (n == 0) break;  // no progress: treat as input that stalls
            }
        };
        feed(true);
        if (ec == bhttp::error::header_limit) {
            out.push_back({431, json_error("request headers larger than 16 KiB"), "application/json", {}});
            return out;
        }
        if (ec == bhttp::error::body_limit) {
            answer(parser.get(), BodyState::too_large);
            return out;
        }
        if (ec) {
            out.push_back({400, json_error("malformed HTTP request: " + ec.message()), "application/json", {}});
            return out;
        }
        if (!parser.is_header_done()) return out;  // stalled headers: dropped without an answer
        if (!parser.is_done() && check) {
            std::optional<Reply> refused;
            try {
                refused = check(BeastRequest(parser.get(), BodyState::pending));
            } catch (const std::exception&) {
                refused = Reply{500, json_error("internal error"), "application/json", {}};
            }
            if (refused) {
                out.push_back(std::move(*refused));
                return out;
            }
        }
        feed(false);
        if (ec == bhttp::error::body_limit) {
            answer(parser.get(), BodyState::too_large);
            return out;
        }
        if (ec) {
            out.push_back({400, json_error("malformed HTTP request body: " + ec.message()), "application/json", {}});
            return out;
        }
        if (!parser.is_done()) {
            answer(parser.get(), BodyState::incomplete);
            return out;
        }
        if (!answer(parser.get(), BodyState::complete)) return out;
    }
    return out;
}

// Destruction order matters: the contexts go first (their handlers own the
// listener and the sessions), then what the sessions point at.
struct Server::Impl {
    Shared shared;
    std::optional<net::ssl::context> tls;
    std::unique_ptr<net::io_context> accepting;  ///< the listener's own
    std::vector<std::unique_ptr<Loop>> loops;    ///< one per thread; connections live here
    std::vector<std::thread> threads;
};

Server::Server(ServerOptions options, RequestHandler handler, Warn warn, HeaderCheck check)
    : impl_(std::make_unique<Impl>()) {
    impl_->shared.opt = std::move(options);
    impl_->shared.handler = std::move(handler);
    impl_->shared.check = std::move(check);
    impl_->shared.warn = std::move(warn);
}

Server::~Server() { stop(); }

sdk::Result<std::string> Server::start() {
    auto& im = *impl_;
    const auto& opt = im.shared.opt;
    const std::string where = opt.host + ":" + std::to_string(opt.port);
    if (!opt.tls_cert.empty()) {
        try {
            im.tls.emplace(net::ssl::context::tls_server);
            im.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                                net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                                net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
        } catch (const std::exception& e) {
            return sdk::Error::permanent(std::string("cannot set up TLS: ") + e.what());
        }
        error_code ec;
        im.tls->use_certificate_chain_file(opt.tls_cert, ec);
        if (ec) return sdk::Error::permanent("cannot load tls_cert " + opt.tls_cert + ": " + ec.message());
        im.tls->use_private_key_file(opt.tls_key, net::ssl::context::pem, ec);
        if (ec) return sdk::Error::permanent("cannot load tls_key " + opt.tls_key + ": " + ec.message());
    }
    im.accepting = std::make_unique<net::io_context>(1);
    for (unsigned i = 0; i < std::max(1U, opt.threads); ++i) im.loops.push_back(std::make_unique<Loop>());
    std::string endpoint;
    try {
        tcp::resolver resolver(*im.accepting);
        const auto found = resolver.resolve(opt.host, std::to_string(opt.port), tcp::resolver::passive);
        auto listener = std::make_shared<Listener>(*im.accepting, im.loops, im.shared, im.tls ? &*im.tls : nullptr);
        listener->listen(found.begin()->endpoint());
        const auto at = listener->local();
        const auto host = at.address().to_string();
        endpoint = std::string(im.tls ? "https://" : "http://") + (at.address().is_v6() ? "[" + host + "]" : host) +
                   ":" + std::to_string(at.port());
        listener->accept();  // the pending accept owns the listener from here on
    } catch (const std::exception& e) {
        im.loops.clear();
        im.accepting.reset();
        im.tls.reset();
        return sdk::Error::permanent("cannot listen on " + where + ": " + e.what());
    }
    const auto serve = [&im](net::io_context& io) {
        for (;;) {
            try {
                io.run();
                return;
            } catch (const std::exception& e) {  // handlers catch their own; keep serving if one did not
                im.shared.warn(std::string("http server thread: ") + e.what());
            }
        }
    };
    im.threads.emplace_back(serve, std::ref(*im.accepting));
    for (auto& loop : im.loops) im.threads.emplace_back(serve, std::ref(loop->io));
    return endpoint;
}

void Server::stop() {
    auto& im = *impl_;
    if (!im.accepting) return;
    im.accepting->stop();
    for (auto& loop : im.loops) loop->io.stop();
    for (auto& t : im.threads) t.join();  // after the requests being run
    im.threads.clear();
    // Destroys the pending handlers, and with them the listener and every
    // connection: the listener first, as its pending accept names a loop.
    im.accepting.reset();
    im.loops.clear();
    im.tls.reset();
}

}  // namespace scanorch::http

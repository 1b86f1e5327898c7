#include "redis_client.h"

#include <Poco/SHA1Engine.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <thread>

namespace scanorch::redis_queue {

namespace {

Value copy(const redisReply* r) {
    Value v;
    if (r == nullptr) return v;
    switch (r->type) {
        case REDIS_REPLY_STRING:
            v.type = Value::Type::string;
            v.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_STATUS:
            v.type = Value::Type::status;
            v.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ERROR:
            v.type = Value::Type::error;
            v.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_INTEGER:
            v.type = Value::Type::integer;
            v.integer = r->integer;
            break;
        case REDIS_REPLY_ARRAY:
            v.type = Value::Type::array;
            for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(copy(r->element[i]));
            break;
        default: break;
    }
    return v;
}

timeval tv(int ms) { return {ms / 1000, (ms % 1000) * 1000}; }

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// One command as binary-safe argv; null when the connection failed.
Reply send(redisContext* c, const std::vector<std::string>& argv) {
    std::vector<const char*> a;
    std::vector<size_t> l;
    for (const auto& x : argv) {
        a.push_back(x.data());
        l.push_back(x.size());
    }
    return Reply(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(a.size()), a.data(), l.data())));
}

}  // namespace

std::string redacted_url(const std::string& url) {
    const auto scheme = url.find("://");
    const auto from = scheme == std::string::npos ? 0 : scheme + 3;
    const auto at = url.find('@', from);
    if (at == std::string::npos) return url;
    const auto colon = url.find(':', from);
    return colon != std::string::npos && colon < at ? url.substr(0, colon + 1) + "***" + url.substr(at)
                                                    : url.substr(0, from) + "***" + url.substr(at);
}

sdk::Result<RedisSettings> parse_url(const std::string& url) {
    RedisSettings s;
    const std::string shown = redacted_url(url);  // errors name the URL, never its password
    try {
        Poco::URI u(url);
        if (u.getScheme() != "redis") return sdk::Error::invalid_input("url '" + shown + "' must start with redis://");
        if (!u.getHost().empty()) s.host = u.getHost();
        if (u.getPort() != 0) s.port = u.getPort();
        const auto& info = u.getUserInfo();
        if (!info.empty()) s.password = info.substr(info.find(':') == std::string::npos ? 0 : info.find(':') + 1);
        const auto& path = u.getPath();
        if (path.size() > 1) {
            int db = -1;
            const std::string_view digits = std::string_view(path).substr(1);
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), db);
            if (ec != std::errc() || end != digits.data() + digits.size() || db < 0 || db > 15'999) {
                return sdk::Error::invalid_input("url '" + shown + "': the database after the / must be a number");
            }
            s.db = db;
        }
    } catch (const std::exception& e) {
        return sdk::Error::invalid_input("url '" + shown + "' is not a redis:// URL");
    }
    return s;
}

std::string RedisPool::sha1(const std::string& text) {
    Poco::SHA1Engine e;
    e.update(text);
    return Poco::DigestEngine::digestToHex(e.digest());
}

sdk::Result<RedisPool::Conn> RedisPool::connect() {
    std::string host = s_.host;
    int port = s_.port;
    if (!s_.sentinels.empty()) {  // ask the sentinels where the master is now
        bool found = false;
        for (const auto& [sh, sp] : s_.sentinels) {
            Conn c(redisConnectWithTimeout(sh.c_str(), sp, tv(s_.timeout_ms)));
            if (!c || c->err) continue;
            redisSetTimeout(c.get(), tv(s_.timeout_ms));
            Reply r = send(c.get(), {"SENTINEL", "get-master-addr-by-name", s_.sentinel_master});
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                host.assign(r->element[0]->str, r->element[0]->len);
                port = std::stoi(std::string(r->element[1]->str, r->element[1]->len));
                found = true;
                break;
            }
        }
        if (!found) return sdk::Error::transient("no Redis Sentinel knows master '" + s_.sentinel_master + "'");
    }
    Conn c(redisConnectWithTimeout(host.c_str(), port, tv(s_.timeout_ms)));
    const std::string where = "Redis at " + host + ":" + std::to_string(port);
    if (!c) return sdk::Error::transient(where + ": cannot allocate a connection");
    if (c->err) return sdk::Error::transient(where + ": " + c->errstr);
    redisSetTimeout(c.get(), tv(s_.timeout_ms));
    redisEnableKeepAlive(c.get());
    auto simple = [&](const std::vector<std::string>& argv) -> sdk::Result<void> {
        Reply r = send(c.get(), argv);
        if (!r) return sdk::Error::transient(where + ": " + c->errstr);
        if (r->type == REDIS_REPLY_ERROR)
            return sdk::Error::auth(where + ": " + argv[0] + " refused: " + std::string(r->str, r->len));
        return {};
    };
    if (!s_.password.empty()) {
        if (auto r = simple({"AUTH", s_.password}); !r) return std::move(r).error();
    }
    // Cluster mode would answer keys of other slots with MOVED/ASK, which
    // this client does not follow: it could only work while every key
    // happened to sit on one node. Refuse it rather than fail later.
    if (Reply r = send(c.get(), {"INFO", "cluster"});
        r && r->type == REDIS_REPLY_STRING &&
        std::string_view(r->str, r->len).find("cluster_enabled:1") != std::string_view::npos) {
        return sdk::Error::permanent(where +
                                     " runs in cluster mode (cluster_enabled:1), which redis-queue does not "
                                     "support: use a standalone Redis, with Sentinel for failover "
                                     "(sentinels and sentinel_master in the queue plugin's config)");
    }
    if (s_.db != 0) {
        if (auto r = simple({"SELECT", std::to_string(s_.db)}); !r) return std::move(r).error();
    }
    return c;
}

sdk::Result<RedisPool::Conn> RedisPool::acquire() {
    {
        std::lock_guard lock(mu_);
        if (!idle_.empty()) {
            Conn c = std::move(idle_.back());
            idle_.pop_back();
            return c;
        }
        if (std::chrono::steady_clock::now() < retry_after_) {
            return sdk::Error::transient("Redis at " + s_.host + ":" + std::to_string(s_.port) +
                                         " is unreachable (retrying with backoff)");
        }
    }
    auto c = connect();
    std::lock_guard lock(mu_);
    if (!c) {  // back off: 100 ms, 200 ms, ... up to 5 s
        failures_ = std::min(failures_ + 1, 6);
        retry_after_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min(5000, 100 << failures_));
        return c;
    }
    failures_ = 0;
    return c;
}

void RedisPool::give_back(Conn c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < 32) idle_.push_back(std::move(c));
}

sdk::Result<Value> RedisPool::command(const std::vector<std::string>& argv, int block_ms) {
    auto c = acquire();
    if (!c) return std::move(c).error();
    Conn conn = std::move(c).value();
    if (block_ms > 0) redisSetTimeout(conn.get(), tv(block_ms + s_.timeout_ms));
    Reply r = send(conn.get(), argv);
    if (!r) {  // the connection is broken: drop it; the next call reconnects
        return sdk::Error::transient("Redis " + argv[0] +
                                     " failed: " + (conn->errstr[0] ? conn->errstr : "connection lost"));
    }
    if (block_ms > 0) redisSetTimeout(conn.get(), tv(s_.timeout_ms));
    Value v = copy(r.get());
    give_back(std::move(conn));
    if (v.type == Value::Type::error) {
        if (v.str.rfind("NOSCRIPT", 0) == 0) return sdk::Error::not_found(v.str);
        if (v.str.rfind("LOADING", 0) == 0 || v.str.rfind("READONLY", 0) == 0 || v.str.rfind("MASTERDOWN", 0) == 0) {
            return sdk::Error::transient("Redis: " + v.str);
        }
        return sdk::Error::internal("Redis " + argv[0] + ": " + v.str);
    }
    return v;
}

sdk::Result<Value> RedisPool::eval(const std::string& script, const std::string& sha,
                                   const std::vector<std::string>& keys, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"EVALSHA", sha, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = command(argv);
    if (!r && r.error().kind == sdk::ErrorKind::not_found) {  // script cache empty (Redis restarted)
        argv[0] = "EVAL";
        argv[1] = script;
        return command(argv);
    }
    return r;
}

}  // namespace scanorch::redis_queue

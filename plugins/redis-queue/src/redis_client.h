// A small pool of hiredis connections (RAII), with reconnect-and-backoff
// when Redis restarts, optional AUTH/SELECT, and Sentinel discovery of the
// current master. Every failure is a transient sdk::Error naming Redis.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::redis_queue {

/// A reply, copied out of hiredis so no redisReply outlives its call.
struct Value {
    enum class Type { nil, string, integer, array, status, error } type = Type::nil;
    std::string str;
    long long integer = 0;
    std::vector<Value> elements;

    bool is_nil() const { return type == Type::nil; }
};

struct RedisSettings {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;
    int db = 0;
    int timeout_ms = 2000;
    std::vector<std::pair<std::string, int>> sentinels;  ///< when set, the master is asked of them
    std::string sentinel_master;
};

/// Parses redis://[:password@]host[:port][/db]. Errors show the URL with
/// its password as ***.
sdk::Result<RedisSettings> parse_url(const std::string& url);
/// The URL with the password of its user info (or a lone user, often a
/// token) replaced by ***, for messages and logs.
std::string redacted_url(const std::string& url);

class RedisPool {
public:
    explicit RedisPool(RedisSettings s) : s_(std::move(s)) {}

    /// One command. `block_ms` > 0 raises the read timeout for blocking commands.
    sdk::Result<Value> command(const std::vector<std::string>& argv, int block_ms = 0);

    /// EVALSHA with a fallback to EVAL when Redis lost its script cache (restart).
    sdk::Result<Value> eval(const std::string& script, const std::string& sha, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args);

    static std::string sha1(const std::string& text);

private:
    struct Free {
        void operator()(redisContext* c) const { redisFree(c); }
    };
    using Conn = std::unique_ptr<redisContext, Free>;

    sdk::Result<Conn> connect();
    sdk::Result<Conn> acquire();
    void give_back(Conn c);

    RedisSettings s_;
    std::mutex mu_;
    std::vector<Conn> idle_;
    std::chrono::steady_clock::time_point retry_after_{};
    int failures_ = 0;
};

}  // namespace scanorch::redis_queue

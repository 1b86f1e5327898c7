// The `redis-queue` plugin: the queue contract (sdk/queue_backend.h) in Redis, shared
// by every API and worker process of a deployment. Keys (prefix "nessus"):
//   nessus:queue:nessus:{scanner}    LIST  task ids, head first
//   nessus:queue:global              LIST
//   nessus:scanners:{scanner}:running SET  task ids holding a slot
//   nessus:task:{task}               HASH  payload, queue, attempts, state, lease
//   nessus:lease_expiry              ZSET  task -> lease expiry (ms)
//   nessus:dlq                       LIST  failed task ids, newest first
//   nessus:kv:{key}                  STRING shared state: "<expiry ms>|<value>" (the host's keys,
//                                           e.g. each scanner's circuit state)
//   nessus:wake:{scanner}            LIST  wake-up token for blocked workers
//   nessus:wake:global               LIST  one token per global task, for one worker with a free slot
// Every multi-key step is one Lua script, so claiming a task, taking the
// running slot and starting its lease happen at once or not at all. Times
// come from the host clock (ARGV), never from Redis. Redis Cluster is refused
// at connect (this client follows no MOVED/ASK redirection); Sentinel gives
// failover instead.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>

#include "redis_client.h"
#include "scanorch/sdk/counters.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/hex.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/pool_snapshot.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/slot_vacate.h"

namespace {

namespace sdk = scanorch::sdk;
using scanorch::redis_queue::RedisPool;
using scanorch::redis_queue::Value;

// Prepended to each script that wakes workers: a token on a wake list, which
// workers BLPOP. A scanner's list keeps one token (one is enough to make its
// worker claim); the global list keeps one per global task, at most 1,000.
const std::string kWakeLua = R"lua(
local function wake(prefix, list, keep)
  local k = prefix..':wake:'..list
  redis.call('LPUSH', k, '1'); redis.call('LTRIM', k, 0, keep)
end
)lua";

// ARGV: prefix, scanner
const std::string kWake = kWakeLua + "wake(ARGV[1], ARGV[2], 0)\n";

// KEYS[1] queue, KEYS[2] task hash; ARGV: id, payload, queue name, enqueued_at, attempts, front, prefix
const std::string kEnqueue = kWakeLua + R"lua(
local state = redis.call('HGET', KEYS[2], 'state')
if state and state ~= 'dlq' then return -1 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'payload', ARGV[2], 'queue', ARGV[3], 'enqueued_at', ARGV[4], 'attempts', ARGV[5], 'state', 'queued')
local n
if ARGV[6] == '1' then n = redis.call('LPUSH', KEYS[1], ARGV[1]) else n = redis.call('RPUSH', KEYS[1], ARGV[1]) end
if ARGV[3] == '' then
  -- One token per global task: it wakes ONE waiting worker (BLPOP serves the
  -- longest waiting first), not the whole pool; workers of full scanners do
  -- not wait on it (wait_for_work). Bounded, so an idle pool cannot pile them up.
  wake(ARGV[7], 'global', 999)
else
  wake(ARGV[7], ARGV[3], 0)
end
if ARGV[6] == '1' then return 1 end
return n
)lua";

// KEYS[1] running set, KEYS[2] scanner queue, KEYS[3] global queue, KEYS[4] lease zset
// ARGV: scanner, max, now, lease_ms, token, prefix
// Nothing to claim: 0 when the scanner is full, nil when both queues are empty.
// A claim also says whether it took the scanner's last free slot.
const std::string kClaim = R"lua(
local held = redis.call('SCARD', KEYS[1])
if held >= tonumber(ARGV[2]) then return 0 end
local id = redis.call('LPOP', KEYS[2])
local g = 0
if not id then id = redis.call('LPOP', KEYS[3]); g = 1 end
if not id then return false end
local th = ARGV[6]..':task:'..id
local exp = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('SADD', KEYS[1], id)
redis.call('ZADD', KEYS[4], exp, id)
local attempts = tonumber(redis.call('HGET', th, 'attempts') or '0')
redis.call('HSET', th, 'state', 'held', 'token', ARGV[5], 'scanner', ARGV[1], 'from_global', g, 'attempts', attempts + 1)
local h = redis.call('HMGET', th, 'payload', 'queue', 'enqueued_at')
local full = '0'
if held + 1 >= tonumber(ARGV[2]) then full = '1' end
return {id, h[1] or '', h[2] or '', h[3] or '0', tostring(attempts), tostring(g), tostring(exp), full}
)lua";

// KEYS[1] task hash, KEYS[2] lease zset; ARGV: id, token, expiry
const std::string kRenew = R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'held' or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
)lua";

// A held task's slot given back before its hold ends (SlotVacate): out of the
// running set (which claims count), into the finishing set (which running()
// still lists), while that holds fewer than max. 1: freed (now or before),
// 2: at the bound, 0: not the holder. Members no longer held on this scanner
// (left by a process that ended a hold without knowing this set) are pruned
// first, so they never shrink the bound; there are at most max of them.
// KEYS[1] task hash, KEYS[2] running set, KEYS[3] finishing set; ARGV: id,
// token, prefix, scanner, max
const std::string kVacate = kWakeLua + R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'held' or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 1 end
local n = 0
for _, m in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local h = redis.call('HMGET', ARGV[3]..':task:'..m, 'state', 'scanner')
  if h[1] == 'held' and h[2] == ARGV[4] then n = n + 1 else redis.call('SREM', KEYS[3], m) end
end
if n >= tonumber(ARGV[5]) then return 2 end
redis.call('SMOVE', KEYS[2], KEYS[3], ARGV[1])
wake(ARGV[3], ARGV[4], 0)
return 1
)lua";

// Ends a hold: complete (mode 0), release to the head of its queue (1), or
// dead-letter (2). KEYS[1] task hash, KEYS[2] lease zset, KEYS[3] running set,
// KEYS[4] dlq, KEYS[5] finishing set; ARGV: id, token, mode,
// payload_or_reason, now, prefix, scanner
const std::string kEnd = kWakeLua + R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'held' or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
wake(ARGV[6], ARGV[7], 0)
if ARGV[3] == '0' then redis.call('DEL', KEYS[1]); return 1 end
redis.call('HDEL', KEYS[1], 'token', 'scanner', 'from_global')
if ARGV[3] == '1' then
  local q = redis.call('HGET', KEYS[1], 'queue')
  local qk = ARGV[6]..':queue:global'
  if q and q ~= '' then qk = ARGV[6]..':queue:nessus:'..q end
  redis.call('HSET', KEYS[1], 'state', 'queued', 'payload', ARGV[4])
  redis.call('LPUSH', qk, ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], 'state', 'dlq', 'reason', ARGV[4], 'failed_at', ARGV[5])
redis.call('LPUSH', KEYS[4], ARGV[1])
return 1
)lua";

// KEYS[1] lease zset; ARGV: now, prefix
const std::string kReclaim = kWakeLua + R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  local th = ARGV[2]..':task:'..id
  local h = redis.call('HMGET', th, 'scanner', 'queue', 'payload', 'attempts', 'enqueued_at')
  redis.call('ZREM', KEYS[1], id)
  if h[1] then
    redis.call('SREM', ARGV[2]..':scanners:'..h[1]..':running', id)
    redis.call('SREM', ARGV[2]..':scanners:'..h[1]..':finishing', id)
  end
  if redis.call('HGET', th, 'state') == 'held' then
    redis.call('HDEL', th, 'token', 'scanner', 'from_global')
    redis.call('HSET', th, 'state', 'queued')
    local qk = ARGV[2]..':queue:global'
    if h[2] and h[2] ~= '' then qk = ARGV[2]..':queue:nessus:'..h[2] end
    redis.call('LPUSH', qk, id)
    if h[1] then wake(ARGV[2], h[1], 0) end
    table.insert(out, id); table.insert(out, h[2] or ''); table.insert(out, h[3] or '')
    table.insert(out, h[4] or '0'); table.insert(out, h[5] or '0')
  end
end
return out
)lua";

// KEYS[1] task hash; ARGV: id, prefix
const std::string kRemove = R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
local q = redis.call('HGET', KEYS[1], 'queue')
local qk = ARGV[2]..':queue:global'
if q and q ~= '' then qk = ARGV[2]..':queue:nessus:'..q end
local n = redis.call('LREM', qk, 1, ARGV[1])
if n > 0 then redis.call('DEL', KEYS[1]) end
return n
)lua";

// KEYS[1] dlq; ARGV: id (or '' for all), prefix
const std::string kDlqRemove = R"lua(
local ids
if ARGV[1] == '' then ids = redis.call('LRANGE', KEYS[1], 0, -1) else ids = {ARGV[1]} end
local n = 0
for _, id in ipairs(ids) do
  local removed = redis.call('LREM', KEYS[1], 0, id)
  if removed > 0 then
    n = n + 1
    local th = ARGV[2]..':task:'..id
    if redis.call('HGET', th, 'state') == 'dlq' then redis.call('DEL', th) end
  end
end
return n
)lua";

// Shared-state values carry their expiry in host time, "<expiry_ms>|<value>"
// (0 = never), so TTLs follow the same clock as leases; Redis's own PX, with a
// margin, only cleans up eventually.
// KEYS[1] key; ARGV: now
const std::string kKvGet = R"lua(
local v = redis.call('GET', KEYS[1])
if not v then return false end
local bar = string.find(v, '|', 1, true)
local exp = tonumber(string.sub(v, 1, bar - 1))
if exp > 0 and exp <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]); return false end
return string.sub(v, bar + 1)
)lua";

// kKvGet for every key at once; an absent or expired key is false (nil).
// KEYS: keys; ARGV[1] now
const std::string kKvGetMany = R"lua(
local out = {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  out[i] = false
  if v then
    local bar = string.find(v, '|', 1, true)
    if bar then  -- a value not written by kv_set is not ours: read as absent
      local exp = tonumber(string.sub(v, 1, bar - 1))
      if exp > 0 and exp <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[i]) else out[i] = string.sub(v, bar + 1) end
    end
  end
end
return out
)lua";

// KEYS[1] key; ARGV: value, ttl_ms, now, only_if_absent
const std::string kKvSet = R"lua(
local v = redis.call('GET', KEYS[1])
if v and ARGV[4] == '1' then
  local bar = string.find(v, '|', 1, true)
  local exp = tonumber(string.sub(v, 1, bar - 1))
  if exp == 0 or exp > tonumber(ARGV[3]) then return string.sub(v, bar + 1) end
end
local ttl = tonumber(ARGV[2])
local exp = 0
if ttl > 0 then exp = tonumber(ARGV[3]) + ttl end
if ttl > 0 then redis.call('SET', KEYS[1], exp .. '|' .. ARGV[1], 'PX', ttl + 3600000)
else redis.call('SET', KEYS[1], '0|' .. ARGV[1]) end
return false
)lua";

// KEYS[1] key; ARGV: value, ttl_ms, now, expected_present ('0'/'1'), expected.
// Sets only while the live value (expiry as kKvGet) is the expected one.
const std::string kKvCompareAndSet = R"lua(
local now = tonumber(ARGV[3])
local v = redis.call('GET', KEYS[1])
local current = nil
if v then
  local bar = string.find(v, '|', 1, true)
  if bar then
    local exp = tonumber(string.sub(v, 1, bar - 1))
    if exp == 0 or exp > now then current = string.sub(v, bar + 1) end
  end
end
if ARGV[4] == '1' then
  if current ~= ARGV[5] then return 0 end
elseif current ~= nil then
  return 0
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('SET', KEYS[1], (now + ttl) .. '|' .. ARGV[1], 'PX', ttl + 3600000)
else redis.call('SET', KEYS[1], '0|' .. ARGV[1]) end
return 1
)lua";

// KEYS[1] counter; ARGV: delta, ttl_ms, now. Stored as "<expiry ms>|<value>"
// like the key/value state, so expiry follows the host's clock; the Redis
// TTL (an hour past it) only collects what nobody reads again. Never below 0;
// a missing counter is not created by a zero or negative add.
const std::string kCounterAdd = R"lua(
local v = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[3])
local delta = tonumber(ARGV[1])
local exp, n = 0, 0
if v then
  local bar = string.find(v, '|', 1, true)
  exp = tonumber(string.sub(v, 1, bar - 1))
  n = tonumber(string.sub(v, bar + 1))
  if exp > 0 and exp <= now then v = false; exp = 0; n = 0 end
end
if not v then
  if delta <= 0 then return 0 end
  if tonumber(ARGV[2]) > 0 then exp = now + tonumber(ARGV[2]) end
end
n = n + delta
if n < 0 then n = 0 end
if exp > 0 then redis.call('SET', KEYS[1], exp .. '|' .. n, 'PX', exp - now + 3600000)
else redis.call('SET', KEYS[1], '0|' .. n) end
return n
)lua";

// KEYS: counters; ARGV: now. Their values, 0 for missing or expired.
const std::string kCounterRead = R"lua(
local now = tonumber(ARGV[1])
local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  local n = 0
  if v then
    local bar = string.find(v, '|', 1, true)
    local exp = tonumber(string.sub(v, 1, bar - 1))
    if exp == 0 or exp > now then n = tonumber(string.sub(v, bar + 1)) end
  end
  out[i] = n
end
return out
)lua";

// KEYS[1] key; ARGV: expected, now
const std::string kDeleteIf = R"lua(
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local bar = string.find(v, '|', 1, true)
local exp = tonumber(string.sub(v, 1, bar - 1))
if exp > 0 and exp <= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]); return 0 end
if string.sub(v, bar + 1) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// A task's place in its queue (1 = next) and that queue's key, or -1 when it
// is not queued: one round trip for what a status poll asks. The queue key is
// built as queue_key() builds it.
// KEYS[1] task hash; ARGV: id, prefix
const std::string kPosition = R"lua(
local h = redis.call('HMGET', KEYS[1], 'state', 'queue')
if h[1] ~= 'queued' then return -1 end
local q = ARGV[2]..':queue:global'
if h[2] and h[2] ~= '' then q = ARGV[2]..':queue:nessus:'..h[2] end
local p = redis.call('LPOS', q, ARGV[1])
if not p then return -1 end
return {p + 1, q}
)lua";

// The whole pool in one round trip: the global and dead-letter depths, then per
// scanner (in ARGV order) its queue length and running-set size. A script
// rather than a pipeline: Redis runs it as one step, so every figure belongs
// to the same instant (no claim lands between a scanner's queue length and its
// running count), and EVALSHA sends only the ids, not 2 commands per scanner.
// Keys are built as queue_key() and running_key() build them.
// ARGV: prefix, scanner ids...
const std::string kPoolSnapshot = R"lua(
local p = ARGV[1]
local out = {redis.call('LLEN', p..':queue:global'), redis.call('LLEN', p..':dlq')}
for i = 2, #ARGV do
  local s = ARGV[i]
  out[#out + 1] = redis.call('LLEN', p..':queue:nessus:'..s)
  out[#out + 1] = redis.call('SCARD', p..':scanners:'..s..':running')
end
return out
)lua";

struct Script {
    const std::string& text;
    std::string sha;
    explicit Script(const std::string& t) : text(t), sha(RedisPool::sha1(t)) {}
};

class RedisQueue final : public sdk::QueueBackend,
                         public sdk::SharedCounters,
                         public sdk::QueuePoolSnapshot,
                         public sdk::SlotVacate {
public:
    using interface_type = sdk::QueueBackend;
    static constexpr const char* kName = "redis-queue";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "Queues in Redis, shared by every API and worker process";
    static constexpr scanorch_config_field kConfig[] = {
        sdk::ConfigKey{.name = "url",
                       .type = SCANORCH_CFG_STRING,
                       .default_json = "\"redis://127.0.0.1:6379\"",
                       .description = "redis://[:password@]host:port[/db] (REDIS_URL)"},
        sdk::ConfigKey{.name = "password",
                       .type = SCANORCH_CFG_SECRET,
                       .description = "AUTH password (instead of putting it in the URL)"},
        sdk::ConfigKey{.name = "key_prefix",
                       .type = SCANORCH_CFG_STRING,
                       .default_json = "\"nessus\"",
                       .description = "Prefix of every key (one deployment per prefix)"},
        sdk::ConfigKey{.name = "timeout_ms",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "2000",
                       .description = "Connect and command timeout"},
        sdk::ConfigKey{.name = "sentinels",
                       .type = SCANORCH_CFG_STRING_LIST,
                       .description = "host:port of Redis Sentinels (then url's host is ignored)"},
        sdk::ConfigKey{.name = "sentinel_master",
                       .type = SCANORCH_CFG_STRING,
                       .default_json = "\"mymaster\"",
                       .description = "The master's name in Sentinel"},
    };

    RedisQueue(sdk::PluginContext ctx, scanorch::redis_queue::RedisSettings s, std::string prefix)
        : ctx_(std::move(ctx)), redis_(std::move(s)), p_(std::move(prefix)), rng_(std::random_device{}()) {}

    static sdk::Result<std::unique_ptr<RedisQueue>> create(sdk::PluginContext ctx) {
        const sdk::Config& c = ctx.config();
        auto s = scanorch::redis_queue::parse_url(c.string("url"));
        if (!s) return std::move(s).error();
        if (auto password = c.find_string("password")) s->password = *password;
        const auto timeout_ms = c.integer("timeout_ms");
        if (timeout_ms < 1 || timeout_ms > 600'000) {
            return sdk::Error::invalid_input("timeout_ms must be 1..600000, got " + std::to_string(timeout_ms));
        }
        s->timeout_ms = static_cast<int>(timeout_ms);
        for (const auto& hp : c.find_strings("sentinels").value_or(std::vector<std::string>{})) {
            auto sentinel = parse_host_port(hp);
            if (!sentinel) return sdk::Error::invalid_input("sentinels: '" + hp + "' is not host:port (port 1..65535)");
            s->sentinels.push_back(*sentinel);
        }
        if (!s->sentinels.empty()) s->sentinel_master = c.string("sentinel_master");
        const auto prefix = c.string("key_prefix");
        if (prefix.empty()) return sdk::Error::invalid_input("key_prefix must not be empty");
        ctx.log().info("redis-queue: ",
                       s->sentinels.empty() ? s->host + ":" + std::to_string(s->port)
                                            : "master '" + s->sentinel_master + "' via Sentinel",
                       ", key prefix '", prefix, "'");
        auto q = std::make_unique<RedisQueue>(std::move(ctx), std::move(s).value(), prefix);
        // A Redis that is down now may be up later (workers retry), but
        // one that cannot serve at all (cluster mode) stops start-up here.
        if (auto p = q->redis_.command({"PING"}); !p && p.error().kind == sdk::ErrorKind::permanent) {
            return std::move(p).error();
        }
        return q;
    }

    sdk::Result<void> ping() noexcept override {
        return guard([&]() -> sdk::Result<void> {
            auto r = redis_.command({"PING"});
            if (!r) return std::move(r).error();
            return {};
        });
    }

    sdk::Result<std::uint64_t> enqueue(const sdk::QueueTask& t) noexcept override { return push(t, false); }

    sdk::Result<void> enqueue_front(const sdk::QueueTask& t) noexcept override {
        auto r = push(t, true);
        if (!r) return std::move(r).error();
        return {};
    }

    sdk::Result<std::optional<sdk::Claim>> claim(const std::string& scanner, std::uint32_t max,
                                                 std::int64_t lease_ms) noexcept override {
        return guard([&]() -> sdk::Result<std::optional<sdk::Claim>> {
            const auto token = make_token();
            auto r = run(claim_, {running_key(scanner), queue_key(scanner), queue_key(""), p_ + ":lease_expiry"},
                         {scanner, std::to_string(max), now(), std::to_string(lease_ms), token, p_});
            if (!r) return std::move(r).error();
            if (r->is_nil() || r->type != Value::Type::array || r->elements.size() < 7) {
                set_full(scanner, r->type == Value::Type::integer);
                return std::optional<sdk::Claim>{};
            }
            const auto& e = r->elements;
            set_full(scanner, e.size() > 7 && e[7].str == "1");
            sdk::Claim c;
            c.task.task_id = e[0].str;
            c.task.payload = e[1].str;
            c.task.scanner_id = e[2].str;
            c.task.enqueued_at_ms = std::stoll(e[3].str.empty() ? "0" : e[3].str);
            c.task.attempts = static_cast<std::uint32_t>(std::stoul(e[4].str.empty() ? "0" : e[4].str));
            c.from_global = e[5].str == "1";
            c.lease_expires_at_ms = std::stoll(e[6].str);
            c.scanner_id = scanner;
            c.lease_token = token;
            return std::optional<sdk::Claim>(std::move(c));
        });
    }

    sdk::Result<bool> wait_for_work(const std::string& scanner, std::int64_t timeout_ms) noexcept override {
        return guard([&]() -> sdk::Result<bool> {
            register_waiter(scanner);
            const double seconds = std::max<std::int64_t>(timeout_ms, 1) / 1000.0;
            // A scanner with a free slot also waits for global tasks; a full one
            // (as its last claim found it) would only take the token from a
            // worker that can run the task, and is woken when a slot frees.
            std::vector<std::string> argv = {"BLPOP", p_ + ":wake:" + scanner};
            if (!is_full(scanner)) argv.push_back(p_ + ":wake:global");
            argv.push_back(std::to_string(seconds));
            auto r = redis_.command(argv, static_cast<int>(timeout_ms));
            if (!r) {  // Redis may come back empty: register again at once
                std::lock_guard lock(known_mu_);
                registered_.clear();
                return std::move(r).error();
            }
            return !r->is_nil();
        });
    }

    sdk::Result<void> renew(sdk::Claim& c, std::int64_t lease_ms) noexcept override {
        return guard([&]() -> sdk::Result<void> {
            const auto exp = std::stoll(now()) + lease_ms;
            auto r = run(renew_, {task_key(c.task.task_id), p_ + ":lease_expiry"},
                         {c.task.task_id, c.lease_token, std::to_string(exp)});
            if (!r) return std::move(r).error();
            if (r->integer != 1) return lost(c);
            c.lease_expires_at_ms = exp;
            return {};
        });
    }

    sdk::Result<void> complete(const sdk::Claim& c) noexcept override { return end(c, "0", ""); }
    sdk::Result<void> release(const sdk::Claim& c, const std::string& payload) noexcept override {
        return end(c, "1", payload);
    }
    sdk::Result<void> dead_letter(const sdk::Claim& c, const std::string& reason) noexcept override {
        return end(c, "2", reason);
    }

    sdk::Result<std::vector<sdk::QueueTask>> reclaim_expired() noexcept override {
        return guard([&]() -> sdk::Result<std::vector<sdk::QueueTask>> {
            auto r = run(reclaim_, {p_ + ":lease_expiry"}, {now(), p_});
            if (!r) return std::move(r).error();
            std::vector<sdk::QueueTask> out;
            for (std::size_t i = 0; i + 4 < r->elements.size(); i += 5) {
                sdk::QueueTask t;
                t.task_id = r->elements[i].str;
                t.scanner_id = r->elements[i + 1].str;
                t.payload = r->elements[i + 2].str;
                t.attempts = static_cast<std::uint32_t>(
                    std::stoul(r->elements[i + 3].str.empty() ? "0" : r->elements[i + 3].str));
                t.enqueued_at_ms = std::stoll(r->elements[i + 4].str.empty() ? "0" : r->elements[i + 4].str);
                out.push_back(std::move(t));
            }
            return out;
        });
    }

    sdk::Result<bool> remove(const std::string& id) noexcept override {
        return guard([&]() -> sdk::Result<bool> {
            auto r = run(remove_, {task_key(id)}, {id, p_});
            if (!r) return std::move(r).error();
            return r->integer > 0;
        });
    }

    sdk::Result<std::optional<std::uint64_t>> position(const std::string& id) noexcept override {
        return guard([&]() -> sdk::Result<std::optional<std::uint64_t>> {
            // A task found in a queue is queued there (ids are queued at most
            // once), so the queue it was last seen in is asked first, with a
            // plain LPOS; only when it is no longer there does the script
            // look it up again.
            std::string last_seen;
            {
                std::lock_guard lock(seen_mu_);
                if (auto it = queue_seen_.find(id); it != queue_seen_.end()) last_seen = it->second;
            }
            if (!last_seen.empty()) {
                auto pos = redis_.command({"LPOS", last_seen, id});
                if (!pos) return std::move(pos).error();
                if (!pos->is_nil()) return std::optional<std::uint64_t>(static_cast<std::uint64_t>(pos->integer) + 1);
            }
            auto found = run(position_, {task_key(id)}, {id, p_});
            if (!found) return std::move(found).error();
            std::lock_guard lock(seen_mu_);
            if (found->elements.size() != 2) {
                queue_seen_.erase(id);
                return std::optional<std::uint64_t>{};
            }
            if (queue_seen_.size() >= kQueueSeenEntries && !queue_seen_.count(id))
                queue_seen_.erase(queue_seen_.begin());
            queue_seen_[id] = found->elements[1].str;
            return std::optional<std::uint64_t>(static_cast<std::uint64_t>(found->elements[0].integer));
        });
    }

    // Every task held on the scanner: those in a slot and those that gave it back.
    sdk::Result<std::vector<std::string>> running(const std::string& scanner) noexcept override {
        return guard([&]() -> sdk::Result<std::vector<std::string>> {
            auto r = redis_.command({"SUNION", running_key(scanner), finishing_key(scanner)});
            if (!r) return std::move(r).error();
            std::vector<std::string> out;
            for (const auto& e : r->elements) out.push_back(e.str);
            return out;
        });
    }

    sdk::Result<std::vector<sdk::QueueTask>> list(const std::string& scanner, std::uint64_t offset,
                                                  std::uint64_t limit) noexcept override {
        return guard([&]() -> sdk::Result<std::vector<sdk::QueueTask>> {
            auto ids = redis_.command(
                {"LRANGE", queue_key(scanner), std::to_string(offset), std::to_string(offset + limit - 1)});
            if (!ids) return std::move(ids).error();
            std::vector<sdk::QueueTask> out;
            for (const auto& id : ids->elements) {
                auto t = task(id.str);
                if (!t) return std::move(t).error();
                out.push_back(std::move(t).value());
            }
            return out;
        });
    }

    sdk::Result<sdk::QueueDepths> depths(const std::vector<std::string>& scanners) noexcept override {
        return guard([&]() -> sdk::Result<sdk::QueueDepths> {
            sdk::QueueDepths d;
            auto g = redis_.command({"LLEN", queue_key("")});
            auto dl = redis_.command({"LLEN", p_ + ":dlq"});
            if (!g) return std::move(g).error();
            if (!dl) return std::move(dl).error();
            d.global = static_cast<std::uint64_t>(g->integer);
            d.dead_letter = static_cast<std::uint64_t>(dl->integer);
            for (const auto& s : scanners) {
                auto q = redis_.command({"LLEN", queue_key(s)});
                auto r = redis_.command({"SCARD", running_key(s)});
                if (!q) return std::move(q).error();
                if (!r) return std::move(r).error();
                d.scanners.push_back(
                    {s, static_cast<std::uint64_t>(q->integer), static_cast<std::uint64_t>(r->integer)});
            }
            return d;
        });
    }

    sdk::Result<bool> vacate(const sdk::Claim& c, std::uint32_t max_vacated) noexcept override {
        return guard([&]() -> sdk::Result<bool> {
            auto r = run(vacate_, {task_key(c.task.task_id), running_key(c.scanner_id), finishing_key(c.scanner_id)},
                         {c.task.task_id, c.lease_token, p_, c.scanner_id, std::to_string(max_vacated)});
            if (!r) return std::move(r).error();
            if (r->integer == 0) return lost(c);
            return r->integer == 1;
        });
    }

    void* extension(std::string_view id) noexcept override {
        if (id == sdk::kQueueSlotVacate) return static_cast<sdk::SlotVacate*>(this);
        if (id == sdk::kQueuePoolSnapshot) return static_cast<sdk::QueuePoolSnapshot*>(this);
        if (id == sdk::kQueueCounters) return static_cast<sdk::SharedCounters*>(this);
        return nullptr;
    }

    sdk::Result<sdk::PoolQueueState> pool_snapshot(const std::vector<std::string>& scanners) noexcept override {
        return guard([&]() -> sdk::Result<sdk::PoolQueueState> {
            std::vector<std::string> args;
            args.reserve(scanners.size() + 1);
            args.push_back(p_);
            args.insert(args.end(), scanners.begin(), scanners.end());
            auto r = run(pool_snapshot_, {}, args);
            if (!r) return std::move(r).error();
            const auto& e = r->elements;
            if (r->type != Value::Type::array || e.size() != 2 + 2 * scanners.size()) {
                return sdk::Error::internal("redis-queue: pool snapshot answered " + std::to_string(e.size()) +
                                            " fields for " + std::to_string(scanners.size()) + " scanners");
            }
            sdk::PoolQueueState st;
            st.global = static_cast<std::uint64_t>(e[0].integer);
            st.dead_letter = static_cast<std::uint64_t>(e[1].integer);
            st.scanners.reserve(scanners.size());
            for (std::size_t i = 0; i < scanners.size(); ++i) {
                const auto* f = &e[2 + 2 * i];
                sdk::ScannerQueueState s;
                s.scanner_id = scanners[i];
                s.queued = static_cast<std::uint64_t>(f[0].integer);
                s.running = static_cast<std::uint64_t>(f[1].integer);
                st.scanners.push_back(std::move(s));
            }
            return st;
        });
    }

    sdk::Result<std::vector<sdk::DlqEntry>> dlq_list(std::uint64_t offset, std::uint64_t limit) noexcept override {
        return guard([&]() -> sdk::Result<std::vector<sdk::DlqEntry>> {
            auto ids =
                redis_.command({"LRANGE", p_ + ":dlq", std::to_string(offset), std::to_string(offset + limit - 1)});
            if (!ids) return std::move(ids).error();
            std::vector<sdk::DlqEntry> out;
            for (const auto& id : ids->elements) {
                auto e = dlq_entry(id.str);
                if (!e) return std::move(e).error();
                if (e->has_value()) out.push_back(std::move(**e));
            }
            return out;
        });
    }

    sdk::Result<std::optional<sdk::DlqEntry>> dlq_get(const std::string& id) noexcept override {
        return guard([&] { return dlq_entry(id); });
    }

    sdk::Result<bool> dlq_remove(const std::string& id) noexcept override {
        return guard([&]() -> sdk::Result<bool> {
            if (id.empty()) return false;
            auto r = run(dlq_remove_, {p_ + ":dlq"}, {id, p_});
            if (!r) return std::move(r).error();
            return r->integer > 0;
        });
    }

    sdk::Result<std::uint64_t> dlq_purge() noexcept override {
        return guard([&]() -> sdk::Result<std::uint64_t> {
            auto r = run(dlq_remove_, {p_ + ":dlq"}, {"", p_});
            if (!r) return std::move(r).error();
            return static_cast<std::uint64_t>(r->integer);
        });
    }

    sdk::Result<void> wake(const std::string& scanner) noexcept override {
        return guard([&]() -> sdk::Result<void> {
            // One token is enough: a woken worker tries claim() and waits again.
            auto r = run(wake_, {p_ + ":wake:" + scanner}, {p_, scanner});
            if (!r) return std::move(r).error();
            return {};
        });
    }

    sdk::Result<std::optional<std::string>> kv_get(const std::string& key) noexcept override {
        return guard([&]() -> sdk::Result<std::optional<std::string>> {
            auto r = run(kv_get_, {p_ + ":kv:" + key}, {now()});
            if (!r) return std::move(r).error();
            if (r->is_nil()) return std::optional<std::string>{};
            return std::optional<std::string>(r->str);
        });
    }

    sdk::Result<std::vector<std::optional<std::string>>> kv_get_many(
        const std::vector<std::string>& keys) noexcept override {
        return guard([&]() -> sdk::Result<std::vector<std::optional<std::string>>> {
            std::vector<std::optional<std::string>> out;
            if (keys.empty()) return out;
            std::vector<std::string> full;
            full.reserve(keys.size());
            for (const auto& k : keys) full.push_back(p_ + ":kv:" + k);
            auto r = run(kv_get_many_, full, {now()});
            if (!r) return std::move(r).error();
            if (r->type != Value::Type::array || r->elements.size() != keys.size()) {
                return sdk::Error::internal("redis-queue: kv_get_many answered " + std::to_string(r->elements.size()) +
                                            " values for " + std::to_string(keys.size()) + " keys");
            }
            out.reserve(keys.size());
            for (const auto& e : r->elements)
                out.push_back(e.is_nil() ? std::nullopt : std::optional<std::string>(e.str));
            return out;
        });
    }

    sdk::Result<void> kv_set(const std::string& key, const std::string& value, std::int64_t ttl_ms) noexcept override {
        return guard([&]() -> sdk::Result<void> {
            auto r = run(kv_set_, {p_ + ":kv:" + key}, {value, std::to_string(ttl_ms), now(), "0"});
            if (!r) return std::move(r).error();
            return {};
        });
    }

    sdk::Result<std::optional<std::string>> kv_set_if_absent(const std::string& key, const std::string& value,
                                                             std::int64_t ttl_ms) noexcept override {
        return guard([&]() -> sdk::Result<std::optional<std::string>> {
            auto r = run(kv_set_, {p_ + ":kv:" + key}, {value, std::to_string(ttl_ms), now(), "1"});
            if (!r) return std::move(r).error();
            if (r->is_nil()) return std::optional<std::string>{};
            return std::optional<std::string>(r->str);
        });
    }

    sdk::Result<bool> kv_compare_and_set(const std::string& key, const std::optional<std::string>& expected,
                                         const std::string& value, std::int64_t ttl_ms) noexcept override {
        return guard([&]() -> sdk::Result<bool> {
            auto r = run(kv_cas_, {p_ + ":kv:" + key},
                         {value, std::to_string(ttl_ms), now(), expected ? "1" : "0", expected.value_or("")});
            if (!r) return std::move(r).error();
            return r->integer == 1;
        });
    }

    sdk::Result<bool> kv_delete_if(const std::string& key, const std::string& expected) noexcept override {
        return guard([&]() -> sdk::Result<bool> {
            auto r = run(delete_if_, {p_ + ":kv:" + key}, {expected, now()});
            if (!r) return std::move(r).error();
            return r->integer > 0;
        });
    }

    sdk::Result<std::int64_t> add(const std::string& key, std::int64_t delta, std::int64_t ttl_ms) noexcept override {
        return guard([&]() -> sdk::Result<std::int64_t> {
            auto r =
                run(counter_add_, {p_ + ":counter:" + key}, {std::to_string(delta), std::to_string(ttl_ms), now()});
            if (!r) return std::move(r).error();
            return static_cast<std::int64_t>(r->integer);
        });
    }

    sdk::Result<std::vector<std::int64_t>> read(const std::vector<std::string>& keys) noexcept override {
        return guard([&]() -> sdk::Result<std::vector<std::int64_t>> {
            std::vector<std::string> prefixed;
            prefixed.reserve(keys.size());
            for (const auto& k : keys) prefixed.push_back(p_ + ":counter:" + k);
            auto r = run(counter_read_, prefixed, {now()});
            if (!r) return std::move(r).error();
            std::vector<std::int64_t> out;
            out.reserve(r->elements.size());
            for (const auto& e : r->elements) out.push_back(static_cast<std::int64_t>(e.integer));
            if (out.size() != keys.size())
                return sdk::Error::internal("counter read answered " + std::to_string(out.size()) + " values for " +
                                            std::to_string(keys.size()) + " keys");
            return out;
        });
    }

private:
    template <class F>
    static auto guard(F&& f) noexcept -> decltype(f()) {
        return sdk::guard("redis-queue", std::forward<F>(f));
    }

    static std::optional<std::pair<std::string, int>> parse_host_port(const std::string& hp) {
        const auto colon = hp.rfind(':');
        if (colon == std::string::npos || colon == 0) return std::nullopt;
        int port = 0;
        const auto digits = std::string_view(hp).substr(colon + 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) return std::nullopt;
        return std::pair{hp.substr(0, colon), port};
    }

    sdk::Result<Value> run(const Script& s, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
        return redis_.eval(s.text, s.sha, keys, args);
    }

    std::string now() const { return std::to_string(ctx_.now_unix_ms()); }
    std::string queue_key(const std::string& scanner) const {
        return scanner.empty() ? p_ + ":queue:global" : p_ + ":queue:nessus:" + scanner;
    }
    std::string running_key(const std::string& scanner) const { return p_ + ":scanners:" + scanner + ":running"; }
    std::string finishing_key(const std::string& scanner) const { return p_ + ":scanners:" + scanner + ":finishing"; }
    std::string task_key(const std::string& id) const { return p_ + ":task:" + id; }
    std::string make_token() {
        std::lock_guard lock(rng_mu_);
        return sdk::random_hex(16, rng_);
    }

    // The known set told API processes before the global wake list whom to
    // wake for a global task; kept while such processes may share the queue.
    // Once a minute per scanner is enough to keep it (and to rebuild it
    // after a Redis that restarted empty), and spares an idle pool one
    // command per worker per wait.
    void register_waiter(const std::string& scanner) {
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(known_mu_);
            auto it = registered_.find(scanner);
            if (it != registered_.end() && now - it->second < std::chrono::minutes(1)) return;
        }
        if (redis_.command({"SADD", p_ + ":scanners:known", scanner})) {
            std::lock_guard lock(known_mu_);
            registered_[scanner] = now;
        }
    }

    void set_full(const std::string& scanner, bool full) {
        std::lock_guard lock(known_mu_);
        full_[scanner] = full;
    }
    bool is_full(const std::string& scanner) {
        std::lock_guard lock(known_mu_);
        auto it = full_.find(scanner);
        return it != full_.end() && it->second;
    }

    static sdk::Error lost(const sdk::Claim& c) {
        return sdk::Error::not_found("task '" + c.task.task_id +
                                     "' is no longer held by this lease (it lapsed and "
                                     "the task was reclaimed)");
    }

    sdk::Result<std::uint64_t> push(const sdk::QueueTask& t, bool front) {
        return guard([&]() -> sdk::Result<std::uint64_t> {
            if (t.task_id.empty()) return sdk::Error::invalid_input("task without an id");
            auto r = run(enqueue_, {queue_key(t.scanner_id), task_key(t.task_id)},
                         {t.task_id, t.payload, t.scanner_id,
                          std::to_string(t.enqueued_at_ms ? t.enqueued_at_ms : ctx_.now_unix_ms()),
                          std::to_string(t.attempts), front ? "1" : "0", p_});
            if (!r) return std::move(r).error();
            if (r->integer < 0)
                return sdk::Error::invalid_input("task '" + t.task_id + "' is already queued or running");
            return static_cast<std::uint64_t>(r->integer);
        });
    }

    sdk::Result<void> end(const sdk::Claim& c, const char* mode, const std::string& data) {
        return guard([&]() -> sdk::Result<void> {
            auto r = run(end_,
                         {task_key(c.task.task_id), p_ + ":lease_expiry", running_key(c.scanner_id), p_ + ":dlq",
                          finishing_key(c.scanner_id)},
                         {c.task.task_id, c.lease_token, mode, data, now(), p_, c.scanner_id});
            if (!r) return std::move(r).error();
            if (r->integer != 1) return lost(c);
            return {};
        });
    }

    sdk::Result<sdk::QueueTask> task(const std::string& id) {
        auto h = redis_.command({"HMGET", task_key(id), "payload", "queue", "enqueued_at", "attempts"});
        if (!h) return std::move(h).error();
        sdk::QueueTask t;
        t.task_id = id;
        if (h->elements.size() == 4) {
            t.payload = h->elements[0].str;
            t.scanner_id = h->elements[1].str;
            t.enqueued_at_ms = h->elements[2].is_nil() ? 0 : std::stoll(h->elements[2].str);
            t.attempts = h->elements[3].is_nil() ? 0 : static_cast<std::uint32_t>(std::stoul(h->elements[3].str));
        }
        return t;
    }

    sdk::Result<std::optional<sdk::DlqEntry>> dlq_entry(const std::string& id) {
        auto h = redis_.command({"HMGET", task_key(id), "state", "reason", "failed_at"});
        if (!h) return std::move(h).error();
        if (h->elements.size() != 3 || h->elements[0].str != "dlq") return std::optional<sdk::DlqEntry>{};
        auto t = task(id);
        if (!t) return std::move(t).error();
        sdk::DlqEntry e;
        e.task = std::move(t).value();
        e.reason = h->elements[1].str;
        e.failed_at_ms = h->elements[2].is_nil() ? 0 : std::stoll(h->elements[2].str);
        return std::optional<sdk::DlqEntry>(std::move(e));
    }

    sdk::PluginContext ctx_;
    RedisPool redis_;
    std::string p_;
    std::mutex rng_mu_;
    std::mt19937_64 rng_;
    static constexpr std::size_t kQueueSeenEntries = 4096;
    std::mutex known_mu_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> registered_;  ///< scanner -> last SADD
    std::unordered_map<std::string, bool> full_;  ///< scanner -> its last claim found (or left) it full
    std::mutex seen_mu_;
    std::unordered_map<std::string, std::string> queue_seen_;  ///< task id -> queue key it was last found in
    const Script enqueue_{kEnqueue}, claim_{kClaim}, renew_{kRenew}, vacate_{kVacate}, end_{kEnd}, reclaim_{kReclaim},
        remove_{kRemove}, dlq_remove_{kDlqRemove}, wake_{kWake}, kv_get_{kKvGet}, kv_get_many_{kKvGetMany},
        kv_set_{kKvSet}, kv_cas_{kKvCompareAndSet}, delete_if_{kDeleteIf}, position_{kPosition},
        counter_add_{kCounterAdd}, counter_read_{kCounterRead}, pool_snapshot_{kPoolSnapshot};
};

}  // namespace

SCANORCH_PLUGIN(RedisQueue)

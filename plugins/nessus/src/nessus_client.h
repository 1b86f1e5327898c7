// HTTP(S) to one Nessus server: authentication (API keys, or a session
// token renewed once on 401), timeouts on every request, and the mapping of
// every failure to an SDK error kind:
//   connection refused/reset, timeout, 5xx, 429 -> transient
//   401 after a fresh login                     -> auth
//   412 "API is not available"                  -> permanent (licence)
//   400 -> invalid_input, 404 -> not_found, 403/409/other 4xx -> permanent
// Thread-safe; connections are kept for reuse (connection_pool.h). Credentials never reach a message.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPResponse.h>

#include <functional>
#include <istream>
#include <mutex>
#include <string>

#include "connection_pool.h"
#include "nessus_config.h"
#include "scanorch/sdk/context.h"
#include "scanorch/sdk/result.h"

namespace scanorch::nessus {

struct Reply {
    int status = 0;
    std::string body;
    Poco::JSON::Object::Ptr json() const;  ///< nullptr when the body is not a JSON object
};

class NessusClient {
public:
    NessusClient(NessusConfig config, sdk::PluginContext ctx);

    /// A JSON request; non-2xx statuses become errors. `body` may be empty.
    sdk::Result<Reply> call(const std::string& method, const std::string& path, const std::string& body = "");

    /// The same, but returns the reply for any HTTP status (for callers that
    /// treat e.g. 404 or 409 as success); transport failures stay errors.
    sdk::Result<Reply> call_any(const std::string& method, const std::string& path, const std::string& body = "");

    /// A request that needs no login (GET /server/status), any HTTP status.
    sdk::Result<Reply> call_public(const std::string& method, const std::string& path);

    /// Streams a GET's body into `out` (no buffering of the whole body).
    sdk::Result<std::uint64_t> download(const std::string& path, std::ostream& out);

    /// Logs out a session, if one is open (best effort).
    void logout() noexcept;

    /// The error for a non-2xx reply.
    sdk::Error status_error(const std::string& method, const std::string& path, const Reply& reply) const;

    const NessusConfig& config() const { return config_; }

private:
    using Sender = std::function<sdk::Result<Reply>(const std::string& token)>;
    sdk::Result<Reply> with_auth(const std::string& method, const std::string& path, const Sender& send);
    sdk::Result<Reply> raw(const std::string& method, const std::string& path, const std::string& body,
                           const std::string& token, std::ostream* sink, std::uint64_t* sunk);
    /// Sends the request and reads the answer's header; the body is the stream returned.
    std::istream& exchange(Poco::Net::HTTPClientSession& session, const std::string& method, const std::string& path,
                           const std::string& body, const std::string& token, Poco::Net::HTTPResponse& res) const;
    sdk::Result<std::string> login();

    NessusConfig config_;
    sdk::PluginContext ctx_;
    Poco::Net::Context::Ptr tls_;
    ConnectionPool connections_;  ///< after tls_: its sessions use it
    std::mutex token_mu_;
    std::string token_;
    sdk::Metric requests_;
};

}  // namespace scanorch::nessus

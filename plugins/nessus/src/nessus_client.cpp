#include "nessus_client.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <memory>
#include <sstream>

namespace scanorch::nessus {

namespace {

std::string error_text(const std::string& body) {
    try {
        auto o = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        if (o->has("error")) return o->getValue<std::string>("error");
    } catch (...) {
    }
    return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

}  // namespace

Poco::JSON::Object::Ptr Reply::json() const {
    try {
        return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        return nullptr;
    }
}

NessusClient::NessusClient(NessusConfig config, sdk::PluginContext ctx)
    : config_(std::move(config)),
      ctx_(std::move(ctx)),
      connections_(
          [this]() -> std::unique_ptr<Poco::Net::HTTPClientSession> {
              if (tls_) return std::make_unique<Poco::Net::HTTPSClientSession>(config_.host, config_.port, tls_);
              return std::make_unique<Poco::Net::HTTPClientSession>(config_.host, config_.port);
          },
          std::chrono::seconds(config_.keep_alive_seconds), config_.max_idle_connections) {
    if (config_.scheme == "https") {
        // Verified against ca_file (Nessus's own CA for its self-signed
        // certificate) or the system CAs; off only when asked, and said.
        tls_ = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, config_.ca_file,
            config_.verify_tls ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE, 9,
            config_.ca_file.empty());
    }
    requests_ = ctx_.metrics().counter("scanorch_nessus_api_requests_total",
                                       "Requests to Nessus servers, by scanner and HTTP status (0 = no answer)",
                                       {"scanner", "code"});
}

sdk::Error NessusClient::status_error(const std::string& method, const std::string& path, const Reply& r) const {
    const std::string what =
        "HTTP " + std::to_string(r.status) + " from " + method + " " + path + ": " + error_text(r.body);
    if (r.status == 412) {
        return sdk::Error::permanent(what +
                                     " (this Nessus edition does not allow scan control through the API; "
                                     "Nessus Professional/Essentials/Expert only export results, use Nessus Manager "
                                     "or a Tenable-managed scanner)");
    }
    if (r.status == 401) return sdk::Error::auth(what);
    if (r.status == 429 || r.status >= 500) return sdk::Error::transient(what);
    if (r.status == 400) return sdk::Error::invalid_input(what);
    if (r.status == 404) return sdk::Error::not_found(what);
    return sdk::Error::permanent(what);
}

namespace {

// RFC 9110 9.2.2: may be sent twice with the effect of once.
bool idempotent(const std::string& method) {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
}

}  // namespace

sdk::Result<Reply> NessusClient::raw(const std::string& method, const std::string& path, const std::string& body,
                                     const std::string& token, std::ostream* sink, std::uint64_t* sunk) {
    const std::string where = method + " " + path;
    const bool may_resend = idempotent(method);
    try {
        // A kept connection the server has closed meanwhile fails before any
        // answer: a request that may be sent twice goes once more, on a new one.
        for (int attempt = 0;; ++attempt) {
            auto lease = connections_.take(attempt > 0  ? ConnectionPool::Reuse::none
                                           : may_resend ? ConnectionPool::Reuse::any
                                                        : ConnectionPool::Reuse::recent);
            auto& session = *lease.session;
            Poco::Net::HTTPResponse res;
            std::istream* in = nullptr;
            try {
                in = &exchange(session, method, path, body, token, res);
            } catch (const Poco::TimeoutException&) {
                throw;  // a slow server, not a closed connection
            } catch (const Poco::Exception& e) {
                if (!lease.reused || !may_resend) throw;
                // RFC 9112 9.3.1: an idempotent request may be sent again
                // when its connection closes before the answer.
                ctx_.log().debug("kept connection to ", config_.url(), " failed (", e.displayText(), "); ", where,
                                 " once more on a new one");
                continue;
            }
            Reply reply;
            reply.status = static_cast<int>(res.getStatus());
            requests_.add({config_.instance_id, std::to_string(reply.status)});
            if (sink != nullptr && reply.status / 100 == 2) {
                *sunk = static_cast<std::uint64_t>(Poco::StreamCopier::copyStream64(*in, *sink, 1 << 16));
                if (!in->eof() && in->fail()) return sdk::Error::transient(where + ": the download was cut short");
            } else {
                std::ostringstream out;
                Poco::StreamCopier::copyStream(*in, out);
                if (!in->eof() && in->fail()) return sdk::Error::transient(where + ": the answer was cut short");
                reply.body = out.str();
            }
            // Read to its end, and the end was the framing's, not the server
            // closing (an answer without a length ends that way): the
            // connection is ready for the next request.
            if (res.getKeepAlive() && in->eof() && (res.hasContentLength() || res.getChunkedTransferEncoding())) {
                connections_.give_back(std::move(lease.session));
            }
            return reply;
        }
    } catch (const Poco::TimeoutException&) {
        requests_.add({config_.instance_id, "0"});
        return sdk::Error::transient(where + ": no answer within " + std::to_string(config_.timeout_seconds) + " s");
    } catch (const Poco::Net::ConnectionRefusedException&) {
        requests_.add({config_.instance_id, "0"});
        return sdk::Error::transient(where + ": connection refused by " + config_.url());
    } catch (const Poco::Net::CertificateValidationException& e) {
        requests_.add({config_.instance_id, "0"});
        return sdk::Error::permanent(where + ": the TLS certificate of " + config_.url() + " could not be verified (" +
                                     e.displayText() + "); set options.ca_file to the CA that signed it");
    } catch (const Poco::Net::SSLException& e) {
        requests_.add({config_.instance_id, "0"});
        // A certificate that fails verification will fail the same way next time.
        if (e.displayText().find("certificate verify failed") != std::string::npos) {
            return sdk::Error::permanent(where + ": the TLS certificate of " + config_.url() +
                                         " could not be verified (" + e.displayText() +
                                         "); set options.ca_file to the CA that signed it");
        }
        return sdk::Error::transient(where + ": TLS error with " + config_.url() + ": " + e.displayText());
    } catch (const Poco::Exception& e) {  // resets, unreachable hosts, truncated answers
        requests_.add({config_.instance_id, "0"});
        return sdk::Error::transient(where + ": " + e.displayText());
    } catch (const std::exception& e) {
        return sdk::Error::transient(where + ": " + e.what());
    }
}

std::istream& NessusClient::exchange(Poco::Net::HTTPClientSession& session, const std::string& method,
                                     const std::string& path, const std::string& body, const std::string& token,
                                     Poco::Net::HTTPResponse& res) const {
    session.setTimeout(Poco::Timespan(config_.timeout_seconds, 0));
    Poco::Net::HTTPRequest req(method, config_.base_path + path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Accept", "application/json");
    req.set("User-Agent", "scanorch-nessus/1.0");
    if (config_.uses_api_keys()) {
        req.set("X-ApiKeys", "accessKey=" + config_.access_key + "; secretKey=" + config_.secret_key + ";");
    } else if (!token.empty()) {
        req.set("X-Cookie", "token=" + token);
    }
    if (!body.empty()) {
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(req) << body;
    } else {
        if (method == "POST" || method == "PUT") req.setContentLength(0);
        session.sendRequest(req);
    }
    return session.receiveResponse(res);
}

sdk::Result<std::string> NessusClient::login() {
    Poco::JSON::Object body;
    body.set("username", config_.username);
    body.set("password", config_.password);
    std::ostringstream text;
    body.stringify(text);
    auto r = raw("POST", "/session", text.str(), "", nullptr, nullptr);
    if (!r) return std::move(r).error();
    if (r->status == 401 || r->status == 403) {
        return sdk::Error::auth("login as '" + config_.username + "' rejected by " + config_.url() + " (HTTP " +
                                std::to_string(r->status) + ": " + error_text(r->body) + ")");
    }
    if (r->status / 100 != 2) return status_error("POST", "/session", *r);
    auto json = r->json();
    if (!json || !json->has("token")) return sdk::Error::transient("POST /session: the answer has no token");
    ctx_.log().debug("logged in to ", config_.url(), " as '", config_.username, "'");
    return json->getValue<std::string>("token");
}

sdk::Result<Reply> NessusClient::with_auth(const std::string& method, const std::string& path, const Sender& send) {
    if (config_.uses_api_keys()) {
        auto r = send("");
        if (r && r->status == 401)
            return sdk::Error::auth(status_error(method, path, *r).message + " (API keys rejected)");
        return r;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::string token;
        {
            std::lock_guard lock(token_mu_);
            if (token_.empty()) {
                auto t = login();
                if (!t) return std::move(t).error();
                token_ = std::move(t).value();
            }
            token = token_;
        }
        auto r = send(token);
        if (!r || r->status != 401) return r;
        // The session expired (Nessus drops idle sessions): log in once more.
        std::lock_guard lock(token_mu_);
        if (token_ == token) token_.clear();
        if (attempt == 1) {
            return sdk::Error::auth(status_error(method, path, *r).message + " (even after a fresh login)");
        }
        ctx_.log().info("session with ", config_.url(), " expired; logging in again");
    }
    return sdk::Error::internal("unreachable");
}

sdk::Result<Reply> NessusClient::call_any(const std::string& method, const std::string& path, const std::string& body) {
    return with_auth(method, path,
                     [&](const std::string& token) { return raw(method, path, body, token, nullptr, nullptr); });
}

sdk::Result<Reply> NessusClient::call(const std::string& method, const std::string& path, const std::string& body) {
    auto r = call_any(method, path, body);
    if (!r) return r;
    if (r->status / 100 != 2) return status_error(method, path, *r);
    return r;
}

sdk::Result<Reply> NessusClient::call_public(const std::string& method, const std::string& path) {
    return raw(method, path, "", "", nullptr, nullptr);
}

sdk::Result<std::uint64_t> NessusClient::download(const std::string& path, std::ostream& out) {
    std::uint64_t n = 0;
    auto r = with_auth("GET", path, [&](const std::string& token) { return raw("GET", path, "", token, &out, &n); });
    if (!r) return std::move(r).error();
    if (r->status / 100 != 2) return status_error("GET", path, *r);
    return n;
}

void NessusClient::logout() noexcept {
    try {
        std::string token;
        {
            std::lock_guard lock(token_mu_);
            token.swap(token_);
        }
        if (!token.empty()) (void)raw("DELETE", "/session", "", token, nullptr, nullptr);
    } catch (...) {
    }
}

}  // namespace scanorch::nessus

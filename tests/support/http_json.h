// Ask a server on loopback for a JSON object (emulator stats and the like).
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <string>

namespace scanorch::testing {

/// `method` `path`, with `body` as JSON unless it is empty, on a connection of its own.
inline Poco::JSON::Object::Ptr call_json(int port, const std::string& method, const std::string& path,
                                         const std::string& body = "") {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (body.empty()) {
        s.sendRequest(req);
    } else {
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        s.sendRequest(req) << body;
    }
    Poco::Net::HTTPResponse res;
    return Poco::JSON::Parser().parse(s.receiveResponse(res)).extract<Poco::JSON::Object::Ptr>();
}

inline Poco::JSON::Object::Ptr get_json(int port, const std::string& path) { return call_json(port, "GET", path); }

}  // namespace scanorch::testing

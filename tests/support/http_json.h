// GET a JSON object from a server on loopback (emulator stats and the like).
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <string>

namespace scanorch::testing {

inline Poco::JSON::Object::Ptr get_json(int port, const std::string& path) {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest req("GET", path);
    s.sendRequest(req);
    Poco::Net::HTTPResponse res;
    return Poco::JSON::Parser().parse(s.receiveResponse(res)).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace scanorch::testing

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "route_table.h"

namespace em = scanorch::emulator;

namespace {

// A table whose targets are names, so a lookup says which row it found.
const em::RouteTable<std::string>& table() {
    static const em::RouteTable<std::string> t{
        {"GET", em::PathPattern("/scans"), "list"},
        {"POST", em::PathPattern("/scans"), "create"},
        {"GET", em::PathPattern("/scans/{id:int}"), "details"},
        {"DELETE", em::PathPattern("/scans/{id:int}"), "delete"},
        {"GET", em::PathPattern("/scans/{id:int}/export/{file:int}/download"), "download"},
        {"GET", em::PathPattern("/tokens/{token:hex}/status"), "token"},
        {"GET", em::PathPattern("/users/{name}"), "user"},
        {"PUT", em::PathPattern("/users/{name}"), "rename"},
        {"GET", em::PathPattern("/users/me"), "me, never reached: an earlier row takes the path"},
    };
    return t;
}

}  // namespace

TEST(EmulatorRouteTable, FindsTheRowAndItsParameters) {
    const auto found = table().find("GET", "/scans/7/export/101/download");
    ASSERT_NE(found.route, nullptr);
    EXPECT_EQ(found.route->target, "download");
    EXPECT_EQ(found.params["id"], "7");
    EXPECT_EQ(found.params.integer("id"), 7);
    EXPECT_EQ(found.params.integer("file"), 101);
    EXPECT_EQ(found.params["absent"], "");
    EXPECT_TRUE(found.allowed.empty());
    EXPECT_EQ(table().find("GET", "/tokens/00ff/status").params["token"], "00ff");
    EXPECT_EQ(table().find("GET", "/users/Ann-B").params["name"], "Ann-B");
    EXPECT_EQ(table().find("GET", "/users/me").route->target, "user");
}

TEST(EmulatorRouteTable, TypedParametersRefuseOtherSegments) {
    for (const char* path :
         {"/scans/abc", "/scans/-1", "/scans/7a", "/scans/", "/scans//export/1/download", "/tokens/ABC/status",
          "/tokens/xyz/status", "/users/", "//scans", "/scans/7/", "scans/7", ""}) {
        const auto found = table().find("GET", path);
        EXPECT_EQ(found.route, nullptr) << path;
        EXPECT_TRUE(found.allowed.empty()) << path << ": a path no row knows is a 404, not a 405";
    }
}

TEST(EmulatorRouteTable, AnotherMethodListsWhatThePathAllowsOnce) {
    const auto put = table().find("PUT", "/scans/5");
    EXPECT_EQ(put.route, nullptr);
    EXPECT_EQ(em::allow_header(put.allowed), "GET, DELETE");
    EXPECT_EQ(em::allow_header(table().find("DELETE", "/scans").allowed), "GET, POST");
    // Two GET rows take /users/me: GET is listed once.
    EXPECT_EQ(em::allow_header(table().find("POST", "/users/me").allowed), "GET, PUT");
    EXPECT_EQ(em::allow_header(table().find("get", "/scans").allowed), "GET, POST") << "methods are case-sensitive";
}

TEST(EmulatorRouteTable, AnIntegerBeyondIntReadsAsMinusOne) {
    const auto found = table().find("GET", "/scans/99999999999999999999");
    ASSERT_NE(found.route, nullptr);
    EXPECT_EQ(found.params.integer("id"), -1);
    EXPECT_EQ(table().find("GET", "/scans/2147483647").params.integer("id"), 2147483647);
    EXPECT_EQ(table().find("GET", "/users/x").params.integer("name"), -1);
}

TEST(EmulatorRouteTable, AMalformedPatternIsRefusedByName) {
    for (const char* pattern : {"", "scans", "/scans/{", "/scans/{id", "/scans/{}", "/scans/{:int}",
                                "/scans/{id:float}", "/scans/x{id}", "/scans/{id}x"}) {
        try {
            em::PathPattern p(pattern);
            ADD_FAILURE() << "accepted '" << pattern << "'";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("route pattern '" + std::string(pattern) + "'"), std::string::npos)
                << e.what();
        }
    }
}

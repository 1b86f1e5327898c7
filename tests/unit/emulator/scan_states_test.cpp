// The nessus-emulator's scan state machine, driven through Emulator::handle()
// with no transport: the slots its --max-running allows are never exceeded,
// pending scans start in launch order as slots free, a stop or a delete
// gives a slot back, and each virtual scanner lists only its own scans,
// filtered by last_modification_date. The indexes that make these cheap
// (emulator.h) must agree with what walking every scan would answer.
//
// Scans run 60 s unless a test needs one to end, so that no assertion
// depends on how fast a loaded machine runs the test: slots are held by
// running or paused scans and freed by a stop, a delete or a completion
// the test waits for.
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "emulator.h"

namespace em = scanorch::emulator;
using Poco::JSON::Object;

namespace {

constexpr const char* kBasic = "731a8e52-3ea6-a291-ec0a-d2ff0619c19d7bd788d6be818b65";

class EmulatorScanStates : public ::testing::Test {
protected:
    void SetUp() override { start(60, 2); }
    void start(double scan_seconds, std::uint32_t max_running) {
        if (emu_) emu_->stop();
        em::Options o;
        o.users = {{"admin", "adminpw"}};
        o.scan_seconds = scan_seconds;
        o.max_running = max_running;
        emu_ = std::make_unique<em::Emulator>(o);
        token_.clear();
        auto login = call("POST", "/session", R"({"username":"admin","password":"adminpw"})");
        ASSERT_EQ(login.status, 200) << login.body;
        token_ = json(login.body)->getValue<std::string>("token");
    }
    void TearDown() override { emu_->stop(); }

    em::Response call(const std::string& method, const std::string& target, const std::string& body = "") {
        em::Request r;
        r.method = method;
        const auto q = target.find('?');
        r.path = target.substr(0, q);
        r.query = q == std::string::npos ? "" : target.substr(q + 1);
        r.body = body;
        const std::string cookie = token_.empty() ? "" : "token=" + token_;
        r.header = [cookie](const std::string& name) { return name == "X-Cookie" ? cookie : std::string(); };
        return emu_->handle(r);
    }
    static Object::Ptr json(const std::string& body) { return Poco::JSON::Parser().parse(body).extract<Object::Ptr>(); }
    /// Creates a scan through `prefix` ("" or "/vs/NAME"); its id.
    int create(const std::string& prefix, const std::string& name) {
        auto r = call("POST", prefix + "/scans",
                      std::string(R"({"uuid":")") + kBasic + R"(","settings":{"name":")" + name +
                          R"(","text_targets":"192.0.2.1"}})");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? json(r.body)->getObject("scan")->getValue<int>("id") : -1;
    }
    int launch(const std::string& prefix, int id) {
        return call("POST", prefix + "/scans/" + std::to_string(id) + "/launch").status;
    }
    /// id -> status, as `prefix`'s GET /scans lists them.
    std::map<int, std::string> listed(const std::string& prefix, const std::string& query = "") {
        auto r = call("GET", prefix + "/scans" + query);
        EXPECT_EQ(r.status, 200) << r.body;
        std::map<int, std::string> out;
        auto scans = json(r.body)->getArray("scans");
        for (std::size_t i = 0; scans && i < scans->size(); ++i) {
            auto s = scans->getObject(static_cast<unsigned>(i));
            out[s->getValue<int>("id")] = s->getValue<std::string>("status");
        }
        return out;
    }
    int current_running() { return json(call("GET", "/emulator/stats").body)->getValue<int>("current_running"); }
    int peak_running() { return json(call("GET", "/emulator/stats").body)->getValue<int>("peak_running"); }
    static bool wait_for(const std::function<bool()>& done) {
        for (int i = 0; i < 2000; ++i) {  // 20 s: states change within 200 ms, on a loaded machine longer
            if (done()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return done();
    }

    std::unique_ptr<em::Emulator> emu_;
    std::string token_;
};

}  // namespace

TEST_F(EmulatorScanStates, PendingScansStartInLaunchOrderAsSlotsFree) {
    const int a = create("", "a"), b = create("", "b"), c = create("", "c"), d = create("", "d");
    ASSERT_EQ(launch("", a), 200);
    ASSERT_EQ(launch("", b), 200);
    ASSERT_EQ(launch("", d), 200);
    ASSERT_EQ(launch("", c), 200);
    auto now = listed("");
    EXPECT_EQ(now[a], "running");
    EXPECT_EQ(now[b], "running");
    EXPECT_EQ(now[d], "pending") << "a third scan ran on two slots";
    EXPECT_EQ(now[c], "pending");
    EXPECT_EQ(current_running(), 2);
    EXPECT_EQ(launch("", a), 500) << "a running scan was launched again";
    // One slot frees: the one launched first of the two waiting takes it.
    ASSERT_EQ(call("POST", "/scans/" + std::to_string(a) + "/stop").status, 200);
    ASSERT_TRUE(wait_for([&] { return listed("")[a] == "canceled"; }));
    now = listed("");
    EXPECT_EQ(now[d], "running") << "launched first, so started first";
    EXPECT_EQ(now[c], "pending");
    EXPECT_EQ(current_running(), 2);
    EXPECT_EQ(peak_running(), 2);
}

TEST_F(EmulatorScanStates, AScanThatCompletesGivesItsSlotToTheNext) {
    start(0.3, 1);
    const int a = create("", "a"), b = create("", "b");
    ASSERT_EQ(launch("", a), 200);
    ASSERT_EQ(launch("", b), 200);
    EXPECT_EQ(listed("")[b], "pending");
    ASSERT_TRUE(wait_for([&] { return listed("")[a] == "completed"; }));
    ASSERT_TRUE(wait_for([&] { return listed("")[b] == "completed"; }));
    EXPECT_EQ(current_running(), 0);
    EXPECT_EQ(peak_running(), 1) << "two scans ran on one slot";
}

TEST_F(EmulatorScanStates, AStopOrADeleteGivesItsSlotBack) {
    const int a = create("", "a"), b = create("", "b"), c = create("", "c");
    ASSERT_EQ(launch("", a), 200);
    ASSERT_EQ(launch("", b), 200);
    ASSERT_EQ(launch("", c), 200);
    // The pending one goes without ever holding a slot.
    ASSERT_EQ(call("DELETE", "/scans/" + std::to_string(c)).status, 200);
    EXPECT_EQ(listed("").count(c), 0u);
    EXPECT_EQ(current_running(), 2);
    ASSERT_EQ(call("POST", "/scans/" + std::to_string(a) + "/stop").status, 200);
    ASSERT_TRUE(wait_for([&] { return listed("")[a] == "canceled"; }));
    EXPECT_EQ(current_running(), 1) << "the stopped scan kept its slot";
    const int d = create("", "d");
    ASSERT_EQ(launch("", d), 200);
    EXPECT_EQ(listed("")[d], "running") << "the slot the stop gave back";
    EXPECT_EQ(listed("")[b], "running");
    EXPECT_EQ(current_running(), 2);
    EXPECT_EQ(peak_running(), 2);
}

TEST_F(EmulatorScanStates, APausedScanHoldsItsSlotUntilItEnds) {
    const int a = create("", "a"), b = create("", "b"), c = create("", "c");
    ASSERT_EQ(launch("", a), 200);
    ASSERT_EQ(launch("", b), 200);
    ASSERT_EQ(call("POST", "/scans/" + std::to_string(a) + "/pause").status, 200);
    ASSERT_TRUE(wait_for([&] { return listed("")[a] == "paused"; }));
    ASSERT_EQ(launch("", c), 200);
    EXPECT_EQ(listed("")[c], "pending") << "a paused scan's slot was given away";
    ASSERT_EQ(call("POST", "/scans/" + std::to_string(a) + "/resume").status, 200);
    ASSERT_TRUE(wait_for([&] { return listed("")[a] == "running"; }));
    EXPECT_EQ(listed("")[c], "pending") << "a resumed scan's slot was given away";
    ASSERT_EQ(call("POST", "/scans/" + std::to_string(a) + "/stop").status, 200);
    ASSERT_TRUE(wait_for([&] { return listed("")[c] == "running"; }));
    EXPECT_EQ(current_running(), 2);
    EXPECT_EQ(peak_running(), 2);
}

TEST_F(EmulatorScanStates, EachVirtualScannerListsItsOwnChangedScans) {
    const int east = create("/vs/east", "e"), west = create("/vs/west", "w"), plain = create("", "p");
    EXPECT_EQ(listed("/vs/east"), (std::map<int, std::string>{{east, "empty"}}));
    EXPECT_EQ(listed("/vs/west"), (std::map<int, std::string>{{west, "empty"}}));
    EXPECT_EQ(listed("").count(plain), 1u);
    EXPECT_TRUE(listed("/vs/north").empty());
    // Nothing changed in the future; everything at or after the epoch.
    EXPECT_TRUE(listed("/vs/east", "?last_modification_date=4102444800").empty());
    EXPECT_EQ(listed("/vs/east", "?last_modification_date=1").size(), 1u);
    // A deleted scan is no longer listed, by its scanner or any other.
    ASSERT_EQ(call("DELETE", "/vs/east/scans/" + std::to_string(east)).status, 200);
    EXPECT_TRUE(listed("/vs/east").empty());
    EXPECT_EQ(listed("/vs/west").size(), 1u);
}

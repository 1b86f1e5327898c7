// read_scan_status: the values a poll reads from GET /scans/{id}, taken
// from the stream wherever the answer puts them, and nothing taken from
// look-alike keys elsewhere in it.
#include <gtest/gtest.h>

#include "scan_status.h"

using scanorch::nessus::read_scan_status;
namespace sdk = scanorch::sdk;

TEST(ScanStatus, StatusAndProgressSummedOverTheHosts) {
    // Trimmed from a real answer: info first or last, hosts with their
    // counters among other fields, vulnerabilities and history around them.
    const auto s = read_scan_status(R"({
        "hosts": [
            {"host_id": 2, "hostname": "192.0.2.10", "scanprogresscurrent": 40, "scanprogresstotal": 100,
             "severitycount": {"item": [{"count": 3, "severitylevel": 0}]}},
            {"host_id": 3, "hostname": "192.0.2.11", "scanprogresstotal": 100, "scanprogresscurrent": 100}
        ],
        "vulnerabilities": [{"plugin_id": 19506, "count": 2, "scanprogresscurrent": 999}],
        "history": [{"history_id": 7, "status": "completed"}],
        "info": {"name": "weekly", "status": "running", "hostcount": 2, "policy": {"status": "nested"}}
    })",
                                    "GET /scans/5");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->status, "running") << "the status of info itself, not of history or a nested object";
    EXPECT_EQ(s->hosts, 2u);
    EXPECT_EQ(s->progress_current, 140u) << "only the hosts' own counters are summed";
    EXPECT_EQ(s->progress_total, 200u);
}

TEST(ScanStatus, NoHostsYetAndNullsAreNoError) {
    const auto s =
        read_scan_status(R"({"info": {"status": "pending"}, "hosts": null, "vulnerabilities": null})", "GET /scans/5");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->status, "pending");
    EXPECT_EQ(s->hosts, 0u);
    EXPECT_EQ(s->progress_total, 0u);
}

TEST(ScanStatus, AnAnswerWithoutInfoOrNotJsonIsATransientErrorNamingTheRequest) {
    for (const std::string body :
         {R"({"hosts": []})", R"([{"info": {"status": "running"}}])", R"({"nested": {"info": {"status": "running"}}})",
          "<html>busy</html>", "", R"({"info": {"status": "running")"}) {
        const auto s = read_scan_status(body, "GET /scans/5");
        ASSERT_FALSE(s) << body;
        EXPECT_EQ(s.error().kind, sdk::ErrorKind::transient) << body;
        EXPECT_NE(s.error().message.find("GET /scans/5"), std::string::npos) << s.error().message;
    }
}

TEST(ScanStatus, HostsCountOnlyObjectsAndNegativeOrAbsurdCountersAreIgnored) {
    const auto s = read_scan_status(
        R"({"info": {"status": "running"}, "hosts": [1, "x", {"scanprogresscurrent": -5, "scanprogresstotal": 10},
            {"scanprogresscurrent": 5.0, "scanprogresstotal": 10, "scanprogresscurrent": 1e30},
            {"scanprogresstotal": 18446744073709551615}]})",
        "GET /scans/5");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->hosts, 3u);
    EXPECT_EQ(s->progress_current, 5u);
    EXPECT_EQ(s->progress_total, 20u);
}

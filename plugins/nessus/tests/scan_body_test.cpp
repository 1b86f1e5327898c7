// The body sent to POST /scans for each scan type: the shape real clients
// send (docs/NESSUS_API.md §3.3), and the checks made before sending.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "nessus_scanner.h"

namespace sdk = scanorch::sdk;
using scanorch::nessus::NessusScanner;

namespace {
Poco::JSON::Object::Ptr body(const sdk::ScanRequest& r) {
    auto b = NessusScanner::scan_body(r, "tpl-uuid", 3);
    EXPECT_TRUE(b) << (b ? "" : b.error().message);
    return Poco::JSON::Parser().parse(b.value_or("{}")).extract<Poco::JSON::Object::Ptr>();
}
}  // namespace

TEST(ScanBody, UntrustedHasNoCredentials) {
    sdk::ScanRequest r;
    r.task_id = "t1";
    r.name = "weekly";
    r.targets = "192.0.2.1,192.0.2.0/28";
    r.credentials.ssh_username = "ignored";
    auto b = body(r);
    EXPECT_EQ(b->getValue<std::string>("uuid"), "tpl-uuid");
    auto s = b->getObject("settings");
    EXPECT_EQ(s->getValue<std::string>("text_targets"), "192.0.2.1\n192.0.2.0/28");
    EXPECT_EQ(s->getValue<int>("folder_id"), 3);
    EXPECT_EQ(s->getValue<std::string>("description"), "scanorch task t1");
    EXPECT_FALSE(b->has("credentials"));
}

TEST(ScanBody, PrivilegedSshCarriesEscalation) {
    sdk::ScanRequest r;
    r.name = "n";
    r.targets = "192.0.2.1";
    r.scan_type = sdk::ScanType::trusted_privileged;
    r.credentials.ssh_username = "scan";
    r.credentials.ssh_private_key = "-----BEGIN OPENSSH PRIVATE KEY-----";
    r.credentials.escalation_method = "sudo";
    r.credentials.escalation_password = "pw";
    auto ssh = body(r)->getObject("credentials")->getObject("add")->getObject("Host")->getArray("SSH")->getObject(0);
    EXPECT_EQ(ssh->getValue<std::string>("auth_method"), "public key");
    EXPECT_EQ(ssh->getValue<std::string>("elevate_privileges_with"), "sudo");
    EXPECT_EQ(ssh->getValue<std::string>("escalation_account"), "root");
}

TEST(ScanBody, RefusesWhatCannotWork) {
    sdk::ScanRequest r;
    r.name = "n";
    r.targets = "192.0.2.1";
    r.scan_type = sdk::ScanType::trusted_basic;
    auto none = NessusScanner::scan_body(r, "u", 0);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message, "trusted_basic scan needs SSH or Windows credentials");
    r.scan_type = sdk::ScanType::trusted_privileged;
    r.credentials.ssh_username = "scan";
    r.credentials.ssh_password = "pw";
    r.credentials.escalation_method = "runas";
    auto bad = NessusScanner::scan_body(r, "u", 0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(bad.error().message.find("escalation_method 'runas'"), std::string::npos);
}

TEST(ScanBody, StatusWords) {
    EXPECT_EQ(NessusScanner::map_status("empty"), sdk::ScanState::created);
    EXPECT_EQ(NessusScanner::map_status("pending"), sdk::ScanState::pending);
    EXPECT_EQ(NessusScanner::map_status("processing"), sdk::ScanState::running);
    EXPECT_EQ(NessusScanner::map_status("stopping"), sdk::ScanState::running);
    EXPECT_EQ(NessusScanner::map_status("paused"), sdk::ScanState::paused);
    EXPECT_EQ(NessusScanner::map_status("canceled"), sdk::ScanState::cancelled);
    EXPECT_EQ(NessusScanner::map_status("imported"), sdk::ScanState::completed);
    EXPECT_EQ(NessusScanner::map_status("aborted"), sdk::ScanState::aborted);
}

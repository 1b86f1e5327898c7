// The per-host recipe and the scan aggregate, on facts built by hand.
#include <gtest/gtest.h>

#include "auth_classifier.h"
#include "nessus_validator_config.h"

namespace nv = scanorch::nessus_validator;
namespace sdk = scanorch::sdk;

namespace {
nv::Evidence ev(const std::string& id, const std::string& detail = "") { return {id, "name " + id, "22", detail}; }
}  // namespace

TEST(Classifier, FailurePluginsFailAHostWithoutLogin) {
    nv::HostFacts h;
    h.failure.push_back(ev("104410", "Protocol : SSH; User : scan"));
    h.credentialed_checks = false;
    h.credentialed_line = "Credentialed checks : no";
    const auto v = nv::classify_host(h, defaults());
    EXPECT_EQ(v.auth, sdk::HostAuth::failed);
    EXPECT_EQ(v.evidence, "plugin 104410 (name 104410) on port 22: Protocol : SSH; User : scan");
}

TEST(Classifier, FailureWithALoginElsewhereIsPartial) {
    nv::HostFacts h;
    h.failure.push_back(ev("104410"));
    h.success.push_back(ev("141118"));
    EXPECT_EQ(nv::classify_host(h, defaults()).auth, sdk::HostAuth::partial);
}

TEST(Classifier, PluginsWinOverA19506NoUnderParanoidReporting) {
    nv::HostFacts h;
    h.credentialed_checks = false;
    h.credentialed_line = "Credentialed checks : no";
    h.success.push_back(ev("110095"));
    EXPECT_EQ(nv::classify_host(h, defaults()).auth, sdk::HostAuth::success);
}

TEST(Classifier, InsufficientPrivilegeIsPartial) {
    nv::HostFacts h;
    h.credentialed_checks = true;
    h.auth_only_results = 40;
    h.issues.push_back(ev("110385", "did not have sufficient privileges"));
    const auto v = nv::classify_host(h, defaults());
    EXPECT_EQ(v.auth, sdk::HostAuth::partial);
    EXPECT_NE(v.evidence.find("110385"), std::string::npos);
}

TEST(Classifier, TheThresholdIsLoginEvidenceWhere19506HasNoLine) {
    nv::HostFacts h;
    h.has_19506 = true;
    h.auth_only_results = 5;
    EXPECT_EQ(nv::classify_host(h, defaults()).auth, sdk::HostAuth::success);
    h.auth_only_results = 4;
    EXPECT_EQ(nv::classify_host(h, defaults()).auth, sdk::HostAuth::unknown);
    auto strict = defaults();
    strict.min_auth_plugins = 50;
    h.auth_only_results = 20;
    EXPECT_EQ(nv::classify_host(h, strict).auth, sdk::HostAuth::unknown);
}

TEST(Classifier, AThinLoginIsFlagged) {
    nv::HostFacts h;
    h.credentialed_checks = true;
    h.credentialed_line = "Credentialed checks : yes";
    h.auth_only_results = 1;
    const auto v = nv::classify_host(h, defaults());
    EXPECT_EQ(v.auth, sdk::HostAuth::success);
    EXPECT_TRUE(v.thin_login);
}

TEST(Classifier, NotAttemptedAndUnknown) {
    nv::HostFacts h;
    h.not_attempted.push_back(ev("110723", "SSH was detected on port 22 but no credentials were provided."));
    EXPECT_EQ(nv::classify_host(h, defaults()).auth, sdk::HostAuth::not_attempted);
    nv::HostFacts empty;
    empty.credentialed_tag = false;  // the tag alone is not evidence of a failed login (issue_6992)
    EXPECT_EQ(nv::classify_host(empty, defaults()).auth, sdk::HostAuth::unknown);
}

TEST(Classifier, Aggregate) {
    using V = nv::HostVerdict;
    const V ok{sdk::HostAuth::success, "", false}, bad{sdk::HostAuth::failed, "", false},
        part{sdk::HostAuth::partial, "", false}, unk{sdk::HostAuth::unknown, "", false};
    EXPECT_EQ(nv::aggregate({ok, ok}), sdk::AuthStatus::success);
    EXPECT_EQ(nv::aggregate({ok, bad}), sdk::AuthStatus::partial);
    EXPECT_EQ(nv::aggregate({ok, part}), sdk::AuthStatus::partial);
    EXPECT_EQ(nv::aggregate({ok, unk}), sdk::AuthStatus::partial);
    EXPECT_EQ(nv::aggregate({bad, bad}), sdk::AuthStatus::failed);
    EXPECT_EQ(nv::aggregate({bad, unk}), sdk::AuthStatus::failed);
    EXPECT_EQ(nv::aggregate({unk, unk}), sdk::AuthStatus::unknown);
    EXPECT_EQ(nv::aggregate({}), sdk::AuthStatus::unknown);
}

TEST(ValidatorConfig, FamilyEndingsAreTrimmedAndMatchAtTheEnd) {
    const auto c = config_from(R"({"auth_only_families":["  Local Security Checks "]})");
    EXPECT_TRUE(c.auth_only("1", "Ubuntu Local Security Checks"));
    EXPECT_FALSE(c.auth_only("1", "Local Security Checks (retired)"));
    EXPECT_FALSE(c.auth_only("1", "General"));
    EXPECT_TRUE(c.auth_only("141118", "Settings")) << "a success plugin is login evidence wherever it is filed";
}

#include <gtest/gtest.h>

#include <memory>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"

namespace sdk = scanorch::sdk;

namespace {
sdk::Result<int> parse_port(int v) {
    if (v <= 0 || v > 65535) return sdk::Error::invalid_input("port " + std::to_string(v) + " is out of range");
    return v;
}
sdk::Result<void> touch(bool ok) {
    if (!ok) return sdk::Error::transient("try later");
    return sdk::ok();
}
}  // namespace

TEST(Result, HoldsAValueOrAnError) {
    auto good = parse_port(8834);
    ASSERT_TRUE(good);
    EXPECT_EQ(*good, 8834);
    EXPECT_EQ(good.value_or(1), 8834);

    auto bad = parse_port(0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_EQ(bad.error().message, "port 0 is out of range");
    EXPECT_EQ(bad.value_or(443), 443);
}

TEST(Result, VoidAndMoveOnlyValues) {
    EXPECT_TRUE(touch(true).ok());
    auto r = touch(false);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().retryable());

    sdk::Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
    ASSERT_TRUE(owned);
    auto p = std::move(owned).value();
    EXPECT_EQ(*p, 5);
}

TEST(Result, ErrorKindsMatchTheCAbi) {
    EXPECT_EQ(static_cast<int>(sdk::ErrorKind::transient), SCANORCH_ERR_TRANSIENT);
    EXPECT_EQ(static_cast<int>(sdk::ErrorKind::internal), SCANORCH_ERR_INTERNAL);
    EXPECT_EQ(sdk::to_string(sdk::ErrorKind::not_found), "not_found");
    EXPECT_FALSE(sdk::Error::auth("x").retryable());
}

TEST(Types, ScanTypesRoundTrip) {
    for (auto t : {sdk::ScanType::untrusted, sdk::ScanType::trusted_basic, sdk::ScanType::trusted_privileged}) {
        EXPECT_EQ(sdk::parse_scan_type(sdk::to_string(t)), t);
    }
    EXPECT_FALSE(sdk::parse_scan_type("trusted").has_value());
    EXPECT_TRUE(sdk::is_terminal(sdk::ScanState::aborted));
    EXPECT_FALSE(sdk::is_terminal(sdk::ScanState::paused));
}

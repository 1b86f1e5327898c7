// The text of a Finding: every string field is listed once, and its bytes
// are what a batch weighs (the host's batching, a store's transactions).
#include <gtest/gtest.h>

#include <set>

#include "scanorch/sdk/finding_text.h"

namespace sdk = scanorch::sdk;

TEST(FindingText, ListsEveryTextFieldOnceAndCountsThemWithTheCves) {
    sdk::Finding f;
    std::set<const std::string*> seen;
    std::size_t expected = 0, i = 1;
    for (std::string* s : sdk::text_fields(f)) {
        EXPECT_TRUE(seen.insert(s).second) << "a field listed twice";
        s->assign(i, 'x');  // a different length for each field
        expected += i++;
    }
    EXPECT_EQ(seen.size(), 12u) << "Finding's twelve text fields";
    f.cves = {"CVE-2024-0001", "CVE-1999-0002"};
    expected += 26;
    EXPECT_EQ(sdk::text_bytes(f), expected);
    const sdk::Finding& c = f;
    EXPECT_EQ(sdk::text_fields(c)[11], &f.plugin_output);
}

#include <gtest/gtest.h>

#include <filesystem>

#include "scanorch/framework/tasks/credential_sealer.h"

namespace sf = scanorch::framework;

TEST(CredentialSealer, RoundTripAndTamperDetection) {
    const auto key = sf::CredentialSealer::parse_key(std::string(64, 'a'));
    ASSERT_TRUE(key);
    sf::CredentialSealer sealer(*key);
    scanorch::sdk::ScanCredentials c;
    c.ssh_username = "scan";
    c.ssh_password = "s3cret-pw";
    const auto sealed = sealer.seal(c, "task-1");
    EXPECT_EQ(sealed.rfind("v1:", 0), 0u);
    EXPECT_EQ(sealed.find("s3cret-pw"), std::string::npos);
    auto opened = sealer.open_credentials(sealed, "task-1");
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened->ssh_password, "s3cret-pw");

    EXPECT_FALSE(sealer.open_credentials(sealed, "task-2")) << "bound to its task";
    std::string altered = sealed;
    altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(sealer.open_credentials(altered, "task-1"));
    sf::CredentialSealer other(*sf::CredentialSealer::parse_key(std::string(64, 'b')));
    auto wrong = other.open_credentials(sealed, "task-1");
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("cannot be opened"), std::string::npos);
}

TEST(CredentialSealer, KeyFileIsCreatedOnceWithOwnerOnlyAccess) {
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-key-" + std::to_string(::getpid()));
    const auto file = dir / "credential.key";
    ::unsetenv("SCANORCH_CREDENTIAL_KEY");
    auto a = sf::CredentialSealer::from_environment(file, true);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto b = sf::CredentialSealer::from_environment(file, false);
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->open(a->seal("x", "t"), "t")) << "the second reader uses the same key";
    std::filesystem::remove_all(dir);
    auto none = sf::CredentialSealer::from_environment(file, false);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("SCANORCH_CREDENTIAL_KEY"), std::string::npos);
    EXPECT_FALSE(sf::CredentialSealer::parse_key("short"));
}

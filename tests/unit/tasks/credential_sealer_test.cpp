#include <gtest/gtest.h>

#include <openssl/rand.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

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

namespace {
// Watches a directory and records the widest mode any new file had when it
// appeared: a key file must never be readable by group or others, not even
// for the moment between its creation and a later chmod.
class CreationWatcher {
public:
    explicit CreationWatcher(const std::filesystem::path& dir) : dir_(dir) {
        fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        ::inotify_add_watch(fd_, dir.c_str(), IN_CREATE);
        thread_ = std::thread([this] { run(); });
    }
    ~CreationWatcher() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    mode_t widest() const { return widest_; }
    int seen() const { return seen_; }

private:
    void run() {
        alignas(inotify_event) char buf[4096];
        while (!stop_) {
            const auto n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) {
                std::this_thread::yield();
                continue;
            }
            for (char* p = buf; p < buf + n;) {
                const auto* e = reinterpret_cast<const inotify_event*>(p);
                struct stat st {};
                if (e->len > 0 && ::stat((dir_ / e->name).c_str(), &st) == 0) {
                    widest_ |= st.st_mode & 0777;
                    ++seen_;
                }
                p += sizeof(inotify_event) + e->len;
            }
        }
    }
    std::filesystem::path dir_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<mode_t> widest_{0};
    std::atomic<int> seen_{0};
    std::thread thread_;
};
}  // namespace

TEST(CredentialSealer, KeyFileIsNeverReadableByOthersEvenWhileBeingWritten) {
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-key-window-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    ::unsetenv("SCANORCH_CREDENTIAL_KEY");
    const auto old_umask = ::umask(0);  // the widest a careless create could get
    int seen = 0;
    mode_t widest = 0;
    for (int i = 0; i < 20 && seen == 0; ++i) {  // the watcher must see at least one new file
        std::filesystem::remove(dir / "credential.key");
        CreationWatcher watch(dir);
        auto made = sf::CredentialSealer::from_environment(dir / "credential.key", true);
        ASSERT_TRUE(made) << made.error().message;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        seen = watch.seen();
        widest |= watch.widest();
    }
    ::umask(old_umask);
    EXPECT_GT(seen, 0) << "the watcher saw no file appear";
    EXPECT_EQ(widest & 0077, 0u) << "a file in the key's making was readable by group or others: mode " << std::oct
                                 << widest;
    std::filesystem::remove_all(dir);
}

TEST(CredentialSealer, WorkersWithoutTheSharedKeyRefuseToStart) {
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-key-none-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    ::unsetenv("SCANORCH_CREDENTIAL_KEY");
    auto none = sf::CredentialSealer::from_environment(dir / "credential.key", false);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("only `scanorchd all`"), std::string::npos) << none.error().message;
    EXPECT_FALSE(std::filesystem::exists(dir / "credential.key")) << "no key is made up";
}

namespace {
// An OpenSSL random source that always fails.
int no_bytes(unsigned char*, int) { return 0; }
int no_status() { return 0; }
}  // namespace

TEST(CredentialSealer, RefusesToSealWithoutRandomness) {
    sf::CredentialSealer sealer(*sf::CredentialSealer::parse_key(std::string(64, 'c')));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    const RAND_METHOD* saved = RAND_get_rand_method();
    static RAND_METHOD failing{nullptr, no_bytes, nullptr, nullptr, no_bytes, no_status};
    ASSERT_EQ(RAND_set_rand_method(&failing), 1);
    bool threw = false;
    std::string sealed;
    try {
        sealed = sealer.seal("secret", "task-1");
    } catch (const std::runtime_error& e) {
        threw = std::string(e.what()).find("randomness") != std::string::npos;
    }
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-key-norand-" + std::to_string(::getpid()));
    ::unsetenv("SCANORCH_CREDENTIAL_KEY");
    auto key = sf::CredentialSealer::from_environment(dir / "credential.key", true);
    RAND_set_rand_method(saved);
#pragma GCC diagnostic pop
    EXPECT_TRUE(threw) << "sealed without a fresh nonce: " << sealed;
    ASSERT_FALSE(key);
    EXPECT_NE(key.error().message.find("no randomness"), std::string::npos);
    std::filesystem::remove_all(dir);
}

// HTTPS to the emulator with a test CA made for the test: verified with the
// CA file, refused without it, and allowed with verification off.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "harness.h"

using namespace harness;
using scanorch::testing::EmulatorProcess;

namespace {

// A CA and a server certificate for 127.0.0.1, made with the openssl tool.
struct TestPki {
    TempDir dir;
    std::string ca, cert, key;
    TestPki() {
        const auto d = dir.path.string();
        ca = d + "/ca.pem";
        cert = d + "/server.pem";
        key = d + "/server.key";
        const std::string cmd =
            "cd '" + d +
            "' && "
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=scanorch test CA' "
            "  >/dev/null 2>&1 && "
            "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1' >/dev/null 2>&1 && "
            "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > ext.cnf && "
            "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
            "  -extfile ext.cnf >/dev/null 2>&1";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << "openssl failed";
    }
};

}  // namespace

TEST(NessusTls, VerifiedWithTheCaFileRefusedWithoutIt) {
    TestPki pki;
    EmulatorProcess emu(NESSUS_EMULATOR, {"--user", "admin:adminpw", "--tls-cert", pki.cert, "--tls-key", pki.key});
    ASSERT_EQ(emu.url().rfind("https://127.0.0.1:", 0), 0u) << emu.url();

    auto verified = load(config(emu.url(), "admin", "adminpw", R"({"ca_file":")" + pki.ca + R"("})"));
    ASSERT_TRUE(verified.scanner) << verified.error.message;
    auto h = verified.scanner->health();
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_TRUE(h->healthy) << h->message;
    EXPECT_TRUE(verified.scanner->create_scan(request("192.0.2.1")));

    auto unverified = load(config(emu.url(), "admin", "adminpw", "{}"));  // system CAs do not know the test CA
    ASSERT_TRUE(unverified.scanner);
    auto refused = unverified.scanner->health();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, sdk::ErrorKind::permanent) << refused.error().message;
    EXPECT_NE(refused.error().message.find("could not be verified"), std::string::npos) << refused.error().message;

    auto off = load(config(emu.url(), "admin", "adminpw", R"({"verify_tls":false})"));
    ASSERT_TRUE(off.scanner);
    auto ok = off.scanner->health();
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_TRUE(ok->healthy);
}

TEST(NessusTls, AKeptConnectionTheServerClosedIsSeenBeforeAPostIsSentOnIt) {
    // Over TLS the server's close is a close_notify alert and a FIN on the
    // raw socket: a POST under a second after the last request would ride
    // on that connection, and fail unanswered, if the check missed it.
    TestPki pki;
    EmulatorProcess emu(NESSUS_EMULATOR, {"--user", "admin:adminpw", "--tls-cert", pki.cert, "--tls-key", pki.key,
                                          "--keep-alive-seconds", "0.2", "--scan-seconds", "30"});
    auto p = load(config(emu.url(), "admin", "adminpw", R"({"ca_file":")" + pki.ca + R"(","keep_alive":30})"));
    ASSERT_TRUE(p.scanner) << p.error.message;
    for (int round = 0; round < 3; ++round) {
        auto id = p.scanner->create_scan(request("192.0.2.1"));
        ASSERT_TRUE(id) << "round " << round << ": " << id.error().message;
        ASSERT_TRUE(p.scanner->poll_scan(*id));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the server closed it after 0.2 s
        auto launched = p.scanner->launch_scan(*id);
        ASSERT_TRUE(launched) << "round " << round << ": " << launched.error().message;
    }
}

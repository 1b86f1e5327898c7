#include "scanorch/framework/tasks/credential_sealer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include "scanorch/sdk/hex.h"

namespace scanorch::framework {

namespace {

constexpr std::size_t kIv = 12, kTag = 16;
constexpr char kPrefix[] = "v1:";

std::string b64(const std::string& raw) {
    std::ostringstream out;
    Poco::Base64Encoder enc(out, Poco::BASE64_NO_PADDING);
    enc.rdbuf()->setLineLength(0);
    enc << raw;
    enc.close();
    return out.str();
}

std::optional<std::string> unb64(const std::string& text) {
    try {
        std::istringstream in(text);
        Poco::Base64Decoder dec(in, Poco::BASE64_NO_PADDING);
        std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
        return out;
    } catch (...) {
        return std::nullopt;
    }
}

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// A cipher step that fails leaves nothing safe to return: a sealed blob
// with a bad IV or tag must never reach the queue.
void check(int ok, const char* what) {
    if (ok != 1) throw std::runtime_error(std::string("credential sealing failed: ") + what);
}

enum class KeyWrite { written, exists };

// Writes a new key file readable by its owner only from its first byte: the
// file is created 0600 (never wider, whatever the umask), filled, synced,
// and linked into place only if no key is there yet — two processes that
// start at once end up with one key, not one each.
sdk::Result<KeyWrite> write_key_file(const std::filesystem::path& path, const std::string& text) {
    std::random_device rd;
    const auto tmp = path.parent_path() / ("." + path.filename().string() + ".new-" + std::to_string(rd()));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, S_IRUSR | S_IWUSR);
    if (fd < 0) return sdk::Error::internal("cannot create " + tmp.string() + ": " + std::strerror(errno));
    auto fail = [&](const std::string& what) -> sdk::Result<KeyWrite> {
        const std::string why = std::strerror(errno);
        ::close(fd);
        ::unlink(tmp.c_str());
        return sdk::Error::internal("cannot " + what + " " + tmp.string() + ": " + why);
    };
    if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) return fail("restrict");
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail("write");
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return fail("flush");
    ::close(fd);
    const int linked = ::link(tmp.c_str(), path.c_str());
    const int link_errno = errno;
    ::unlink(tmp.c_str());
    if (linked != 0) {
        if (link_errno == EEXIST) return KeyWrite::exists;
        return sdk::Error::internal("cannot create " + path.string() + ": " + std::strerror(link_errno));
    }
    if (const int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return KeyWrite::written;
}

sdk::Result<CredentialSealer::Key> read_key_file(const std::filesystem::path& key_file) {
    std::ifstream in(key_file);
    if (!in) return sdk::Error::invalid_input("cannot read " + key_file.string());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto k = CredentialSealer::parse_key(text);
    if (!k) return sdk::Error::invalid_input(key_file.string() + ": not a credential key (64 hex digits)");
    return *k;
}

}  // namespace

std::optional<CredentialSealer::Key> CredentialSealer::parse_key(const std::string& raw_text) {
    std::string text = raw_text;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    Key k{};
    if (text.size() == 64 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
        for (std::size_t i = 0; i < 32; ++i)
            k[i] = static_cast<unsigned char>(std::stoi(text.substr(2 * i, 2), nullptr, 16));
        return k;
    }
    std::string padded = text;
    while (!padded.empty() && padded.back() == '=') padded.pop_back();
    auto raw = unb64(padded);
    if (!raw || raw->size() != 32) return std::nullopt;
    std::copy(raw->begin(), raw->end(), k.begin());
    return k;
}

sdk::Result<CredentialSealer> CredentialSealer::from_environment(const std::filesystem::path& key_file, bool create) {
    if (const char* env = std::getenv("SCANORCH_CREDENTIAL_KEY"); env != nullptr && *env != '\0') {
        auto k = parse_key(env);
        if (!k) return sdk::Error::invalid_input("SCANORCH_CREDENTIAL_KEY is not 64 hex digits or base64 of 32 bytes");
        return CredentialSealer(*k);
    }
    std::error_code ec;
    if (std::filesystem::exists(key_file, ec)) {
        auto k = read_key_file(key_file);
        if (!k) return std::move(k).error();
        return CredentialSealer(*k);
    }
    if (!create) {
        // API and worker processes on separate hosts must share one key; a
        // key made up here would seal what no worker can open.
        return sdk::Error::invalid_input(
            "no credential key: set SCANORCH_CREDENTIAL_KEY (the same on API and worker "
            "hosts) or create " +
            key_file.string() + " (only `scanorchd all`, a single machine, generates a key of its own)");
    }
    Key k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
        return sdk::Error::internal("no randomness for a credential key (OpenSSL RAND_bytes failed)");
    }
    const std::string text = sdk::to_hex({reinterpret_cast<const char*>(k.data()), k.size()});
    std::filesystem::create_directories(key_file.parent_path(), ec);
    auto w = write_key_file(key_file, text + "\n");
    if (!w) return std::move(w).error();
    if (*w == KeyWrite::exists) {  // another process wrote one first: use theirs
        auto theirs = read_key_file(key_file);
        if (!theirs) return std::move(theirs).error();
        return CredentialSealer(*theirs);
    }
    return CredentialSealer(k);
}

std::string CredentialSealer::seal(const std::string& plaintext, const std::string& associated) const {
    // A GCM nonce must never repeat under one key: without fresh randomness
    // there is no nonce, and no sealing.
    unsigned char iv[kIv];
    check(RAND_bytes(iv, kIv), "no randomness for a nonce (OpenSSL RAND_bytes failed)");
    Ctx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throw std::runtime_error("credential sealing failed: no cipher context");
    std::string out(plaintext.size() + 16, '\0');
    int len = 0, total = 0;
    check(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), iv), "cipher init");
    check(EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                            static_cast<int>(associated.size())),
          "associated data");
    check(
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), static_cast<int>(plaintext.size())),
        "encrypt");
    total = len;
    check(EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + total, &len), "finish");
    total += len;
    out.resize(static_cast<std::size_t>(total));
    unsigned char tag[kTag];
    check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, tag), "tag");
    return kPrefix +
           b64(std::string(reinterpret_cast<char*>(iv), kIv) + std::string(reinterpret_cast<char*>(tag), kTag) + out);
}

sdk::Result<std::string> CredentialSealer::open(const std::string& sealed, const std::string& associated) const {
    const auto bad = sdk::Error::permanent(
        "the task's credentials cannot be opened (wrong SCANORCH_CREDENTIAL_KEY, or "
        "the sealed data was altered)");
    if (sealed.rfind(kPrefix, 0) != 0) return bad;
    auto raw = unb64(sealed.substr(sizeof(kPrefix) - 1));
    if (!raw || raw->size() < kIv + kTag) return bad;
    const auto* p = reinterpret_cast<const unsigned char*>(raw->data());
    const std::size_t n = raw->size() - kIv - kTag;
    Ctx ctx(EVP_CIPHER_CTX_new());
    std::string out(n + 16, '\0');
    int len = 0, total = 0;
    EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), p);
    EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                      static_cast<int>(associated.size()));
    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, p + kIv + kTag,
                      static_cast<int>(n));
    total = len;
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, const_cast<unsigned char*>(p + kIv));
    if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + total, &len) != 1) return bad;
    total += len;
    out.resize(static_cast<std::size_t>(total));
    return out;
}

std::string CredentialSealer::seal(const sdk::ScanCredentials& c, const std::string& task_id) const {
    Poco::JSON::Object o;
    o.set("ssh_username", c.ssh_username);
    o.set("ssh_password", c.ssh_password);
    o.set("ssh_private_key", c.ssh_private_key);
    o.set("windows_username", c.windows_username);
    o.set("windows_password", c.windows_password);
    o.set("windows_domain", c.windows_domain);
    o.set("escalation_method", c.escalation_method);
    o.set("escalation_account", c.escalation_account);
    o.set("escalation_password", c.escalation_password);
    std::ostringstream out;
    o.stringify(out);
    return seal(out.str(), task_id);
}

sdk::Result<sdk::ScanCredentials> CredentialSealer::open_credentials(const std::string& sealed,
                                                                     const std::string& task_id) const {
    auto text = open(sealed, task_id);
    if (!text) return std::move(text).error();
    try {
        auto o = Poco::JSON::Parser().parse(*text).extract<Poco::JSON::Object::Ptr>();
        sdk::ScanCredentials c;
        c.ssh_username = o->optValue<std::string>("ssh_username", "");
        c.ssh_password = o->optValue<std::string>("ssh_password", "");
        c.ssh_private_key = o->optValue<std::string>("ssh_private_key", "");
        c.windows_username = o->optValue<std::string>("windows_username", "");
        c.windows_password = o->optValue<std::string>("windows_password", "");
        c.windows_domain = o->optValue<std::string>("windows_domain", "");
        c.escalation_method = o->optValue<std::string>("escalation_method", "");
        c.escalation_account = o->optValue<std::string>("escalation_account", "");
        c.escalation_password = o->optValue<std::string>("escalation_password", "");
        return c;
    } catch (...) {
        return sdk::Error::permanent("the task's credentials opened but are not valid JSON");
    }
}

std::string CredentialSealer::fingerprint(const std::string& text) const {
    // Domain-separated from sealing: the HMAC key is itself an HMAC of a label.
    auto hmac = [](const unsigned char* key, int key_len, const std::string& data) {
        std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
        unsigned len = 0;
        HMAC(EVP_sha256(), key, key_len, reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
             &len);
        return std::string(reinterpret_cast<const char*>(out.data()), len);
    };
    const std::string sub = hmac(key_.data(), static_cast<int>(key_.size()), "scanorch request fingerprint v1");
    const std::string mac =
        hmac(reinterpret_cast<const unsigned char*>(sub.data()), static_cast<int>(sub.size()), text);
    return sdk::to_hex(mac);
}

}  // namespace scanorch::framework

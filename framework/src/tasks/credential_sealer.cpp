#include "scanorch/framework/tasks/credential_sealer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "scanorch/framework/tasks/task_store.h"

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

}  // namespace

std::optional<CredentialSealer::Key> CredentialSealer::parse_key(const std::string& raw_text) {
    std::string text = raw_text;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    Key k{};
    if (text.size() == 64 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
        for (std::size_t i = 0; i < 32; ++i) k[i] = static_cast<unsigned char>(std::stoi(text.substr(2 * i, 2), nullptr, 16));
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
        std::ifstream in(key_file);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto k = parse_key(text);
        if (!k) return sdk::Error::invalid_input(key_file.string() + ": not a credential key (64 hex digits)");
        return CredentialSealer(*k);
    }
    if (!create) {
        return sdk::Error::invalid_input("no credential key: set SCANORCH_CREDENTIAL_KEY (the same on API and worker "
                                         "hosts) or create " + key_file.string());
    }
    Key k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) return sdk::Error::internal("no randomness for a key");
    static constexpr char hex[] = "0123456789abcdef";
    std::string text;
    for (unsigned char c : k) {
        text += hex[c >> 4];
        text += hex[c & 15];
    }
    std::filesystem::create_directories(key_file.parent_path(), ec);
    if (auto w = write_file_atomically(key_file, text + "\n"); !w) return std::move(w).error();
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, ec);
    return CredentialSealer(k);
}

std::string CredentialSealer::seal(const std::string& plaintext, const std::string& associated) const {
    unsigned char iv[kIv];
    RAND_bytes(iv, kIv);
    Ctx ctx(EVP_CIPHER_CTX_new());
    std::string out(plaintext.size() + 16, '\0');
    int len = 0, total = 0;
    EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), iv);
    EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                      static_cast<int>(associated.size()));
    EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                      reinterpret_cast<const unsigned char*>(plaintext.data()), static_cast<int>(plaintext.size()));
    total = len;
    EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + total, &len);
    total += len;
    out.resize(static_cast<std::size_t>(total));
    unsigned char tag[kTag];
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, tag);
    return kPrefix + b64(std::string(reinterpret_cast<char*>(iv), kIv) + std::string(reinterpret_cast<char*>(tag), kTag) + out);
}

sdk::Result<std::string> CredentialSealer::open(const std::string& sealed, const std::string& associated) const {
    const auto bad = sdk::Error::permanent("the task's credentials cannot be opened (wrong SCANORCH_CREDENTIAL_KEY, or "
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
    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, p + kIv + kTag, static_cast<int>(n));
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
        HMAC(EVP_sha256(), key, key_len, reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
        return std::string(reinterpret_cast<const char*>(out.data()), len);
    };
    const std::string sub = hmac(key_.data(), static_cast<int>(key_.size()), "scanorch request fingerprint v1");
    const std::string mac = hmac(reinterpret_cast<const unsigned char*>(sub.data()), static_cast<int>(sub.size()), text);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (const unsigned char c : mac) {
        hex += kHex[c >> 4];
        hex += kHex[c & 15];
    }
    return hex;
}

}  // namespace scanorch::framework

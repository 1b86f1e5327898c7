// Scan credentials travel from the API to a worker (maybe another host)
// inside the queued task, sealed with AES-256-GCM under a key the API and
// workers share: SCANORCH_CREDENTIAL_KEY (64 hex digits or base64 of 32
// bytes), or a key file. The task id is the associated data, so a sealed
// blob cannot be moved onto another task. Nothing is ever in clear in the
// queue, on disk, in metrics or in logs.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

class CredentialSealer {
public:
    using Key = std::array<unsigned char, 32>;

    explicit CredentialSealer(const Key& key) : key_(key) {}

    /// From SCANORCH_CREDENTIAL_KEY if set, else from `key_file`; when the
    /// file does not exist and `create` is true, a new random key is written
    /// to it (created 0600, never wider) — the single-machine default. Only
    /// `scanorchd all` may pass create=true: API and worker processes must
    /// share a key, so without one they refuse to start.
    static sdk::Result<CredentialSealer> from_environment(const std::filesystem::path& key_file, bool create);
    static std::optional<Key> parse_key(const std::string& text);

    /// Throws std::runtime_error when OpenSSL has no randomness for the
    /// nonce or the cipher fails: never a blob under a predictable nonce.
    std::string seal(const std::string& plaintext, const std::string& associated) const;
    sdk::Result<std::string> open(const std::string& sealed, const std::string& associated) const;

    std::string seal(const sdk::ScanCredentials& c, const std::string& task_id) const;
    sdk::Result<sdk::ScanCredentials> open_credentials(const std::string& sealed, const std::string& task_id) const;

    /// HMAC-SHA256 of `text` under a key derived from the sealing key, as
    /// hex: fingerprints of requests that hold secrets (idempotency keys)
    /// that reveal nothing to whoever reads the queue backend.
    std::string fingerprint(const std::string& text) const;

private:
    Key key_;
};

}  // namespace scanorch::framework

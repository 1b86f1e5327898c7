// nessus-emulator's settings: accounts, scan timing, result size, faults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scanorch::emulator {

/// Credentials that "work" on the targets; host empty = every target.
struct TargetAccount {
    std::string user;
    std::string password;
    std::string host;
};

struct Options {
    std::string listen = "127.0.0.1:8834";
    std::vector<std::pair<std::string, std::string>> users;     ///< Nessus logins
    std::vector<std::pair<std::string, std::string>> api_keys;  ///< access, secret
    std::vector<TargetAccount> target_accounts;
    double scan_seconds = 10;
    std::uint32_t max_running = 4;
    std::uint32_t extra_items = 20;   ///< filler findings per host (size knob)
    std::uint32_t max_hosts = 65536;  ///< a target list may expand to at most this many hosts
    std::string data_dir;             ///< where exports are written; default: a temp dir
    std::string tls_cert, tls_key;
    std::uint32_t threads = 64;      ///< connections served at once (each kept one holds a thread)
    double keep_alive_seconds = 10;  ///< an idle kept connection is closed after this long
    // Faults.
    double fail_rate = 0;         ///< share of requests answered 500
    double drop_rate = 0;         ///< share of requests whose connection is closed unanswered
    std::uint32_t slow_ms = 0;    ///< delay before every answer
    double session_ttl = 0;       ///< seconds; 0 = sessions never expire
    bool licence_gate = false;    ///< scan control answers 412 "API is not available"
    double export_seconds = 0.5;  ///< an export stays "loading" this long
    double create_seconds = 0;    ///< POST /scans waits this long before creating the scan
    double abort_rate = 0;        ///< share of scans that end "aborted"
    double warmup_seconds = 0;    ///< /server/status answers 503 "loading" this long
    std::uint64_t seed = 1;       ///< for the fault dice
};

}  // namespace scanorch::emulator

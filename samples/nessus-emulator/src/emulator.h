// The emulated Nessus: sessions, scans and their state machine, exports,
// faults, and the counters /emulator/stats reports. Transport-free: the HTTP
// layer turns requests into calls of handle(), which finds the endpoint in
// one route table (emulator.cpp, Emulator::routes()).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>

#include "emulator_options.h"
#include "report_writer.h"
#include "route_table.h"

namespace scanorch::emulator {

struct Request {
    std::string method;
    std::string path;   ///< without the query
    std::string query;  ///< after '?', raw
    std::string body;
    std::function<std::string(const std::string&)> header;  ///< case-insensitive; "" when absent
    /// The virtual scanner a `/vs/NAME/...` path names (set by handle(),
    /// which strips the prefix from `path`); "" for the plain paths.
    std::string scanner;
};

struct Response {
    int status = 200;
    std::string body = "{}";
    std::string file;    ///< when set, the body is this file's bytes
    bool close = false;  ///< "Connection: close" after the answer
    bool drop = false;   ///< close the connection without answering
    std::string allow;   ///< a 405's Allow header: the methods the path takes
};

class Emulator {
public:
    explicit Emulator(Options options);
    ~Emulator();
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;

    Response handle(const Request& request);

    /// Stops the state machine and the export threads.
    void stop();

    /// Connections the transport accepted so far and holds open now.
    struct Connections {
        std::uint64_t accepted = 0;
        std::uint64_t open = 0;
    };
    /// How /emulator/stats learns the transport's connection counts (the
    /// emulator itself is transport-free); without it they are not reported.
    void count_connections_with(std::function<Connections()> counter) { connections_ = std::move(counter); }

private:
    using Clock = std::chrono::steady_clock;

    struct Scan {
        int id = 0;
        std::string uuid;  ///< "template-..." until launched
        std::string name, description, template_uuid, policy;
        std::string targets;
        std::vector<std::string> hosts;
        ScanCredentials credentials;
        std::string status = "empty";
        std::string scanner;  ///< the virtual scanner it was created through ("" for none)
        std::int64_t created = 0, modified = 0, started_epoch = 0, ended_epoch = 0;
        std::uint64_t launch_seq = 0;
        Clock::time_point phase_since{};
        Clock::time_point due_at = Clock::time_point::max();  ///< its entry in due_ (max: none)
        double ran_seconds = 0;  ///< running time before the last pause
        bool will_abort = false;
        int history_id = 0;
    };
    /// Every scan ever created, kept after DELETE, for /emulator/scans: tests
    /// prove from outside which scans a client created, stopped and deleted.
    struct ScanRecord {
        std::string name, description, targets;
        std::string last_status;  ///< when deleted: its status at that moment
        std::uint32_t launches = 0;
        bool stopped = false, deleted = false;
    };
    struct Export {
        int scan_id = 0;
        std::string token;
        std::string path;
        Clock::time_point ready_at{};
        bool written = false;
        std::string error;
    };

    /// Who may call an endpoint: anyone; a session or API key holder; or
    /// such a holder when the licence allows scan control (--licence-gate
    /// answers 412 there, as Nessus Professional does).
    enum class Access { open, session, scan_control };
    using Handler = Response (Emulator::*)(const Request&, const PathParams&);
    struct Endpoint {
        Access access;
        Handler handler;
    };
    static const RouteTable<Endpoint>& routes();

    Response route(const Request& r);

    // The endpoints: one per row of routes().
    Response stats(const Request&, const PathParams&);
    Response journal(const Request&, const PathParams&);
    Response fault_log(const Request&, const PathParams&);
    Response set_faults(const Request&, const PathParams&);
    Response server_status(const Request&, const PathParams&);
    Response login(const Request&, const PathParams&);
    Response logout(const Request&, const PathParams&);
    Response session_info(const Request&, const PathParams&);
    Response server_properties(const Request&, const PathParams&);
    Response templates(const Request&, const PathParams&);
    Response folders(const Request&, const PathParams&);
    Response scanners(const Request&, const PathParams&);
    Response list_scans(const Request&, const PathParams&);
    Response create_scan(const Request&, const PathParams&);
    Response launch_scan(const Request&, const PathParams&);
    Response stop_scan(const Request&, const PathParams&);
    Response pause_scan(const Request&, const PathParams&);
    Response resume_scan(const Request&, const PathParams&);
    Response scan_details(const Request&, const PathParams&);
    Response delete_scan(const Request&, const PathParams&);
    Response export_scan(const Request&, const PathParams&);
    Response export_status(const Request&, const PathParams&);
    Response export_download(const Request&, const PathParams&);
    Response token_status(const Request&, const PathParams&);
    Response token_download(const Request&, const PathParams&);

    bool authenticated(const Request& r);
    void tick_loop();
    void advance(Clock::time_point now);
    /// Starts pending scans in launch order while slots are free.
    void start_pending(Clock::time_point now);
    /// Every status change goes through here: it starts the new phase at
    /// `now` and keeps the indexes below.
    void set_status(Scan& s, const char* status, Clock::time_point now);
    /// Takes a scan out of the indexes before it is erased.
    void unindex(Scan& s);
    Clock::time_point last_advance_{};
    std::uint32_t occupied() const { return active_; }
    Poco::JSON::Object::Ptr scan_object(const Scan& s) const;
    Export* export_by_file(const PathParams& p);
    Export* export_by_token(const PathParams& p);
    static Response export_answer(const Export* e, bool download);
    std::string random_hex(std::size_t n);
    bool dice(double p);

    Options opt_;
    std::string data_dir_;
    bool own_data_dir_ = false;
    Clock::time_point started_ = Clock::now();

    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::map<std::string, Clock::time_point> sessions_;  ///< token -> last use
    std::map<int, Scan> scans_;
    // Indexes over scans_, so that a request or a tick looks at the scans it
    // concerns, not at all of them: with a thousand slots and hundreds of
    // requests a second, walking every scan was most of the emulator's work.
    std::multimap<Clock::time_point, int> due_;        ///< when a scan's status moves on by itself -> id
    std::map<std::uint64_t, int> pending_;             ///< launch_seq -> id of the pending ones
    std::map<std::string, std::set<int>> by_scanner_;  ///< ids created through each virtual scanner
    std::uint32_t active_ = 0;                         ///< scans holding a slot (is_active)
    std::map<int, Export> exports_;
    std::map<int, ScanRecord> journal_;
    std::vector<std::thread> export_threads_;
    int next_scan_ = 5, next_file_ = 100;
    std::uint64_t launch_seq_ = 0;
    std::mt19937_64 rng_;

    // Counters for /emulator/stats.
    std::uint32_t peak_running_ = 0;
    std::uint64_t scans_created_ = 0, scans_launched_ = 0, scans_completed_ = 0, scans_aborted_ = 0;
    std::uint64_t exports_made_ = 0, faults_injected_ = 0, logins_ = 0;
    std::uint64_t unknown_scan_requests_ = 0;  ///< asked about a scan id it never had (or had deleted)
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> creates_received_{0};  ///< POST /scans, counted on arrival (before --create-seconds)
    std::function<Connections()> connections_;
    /// Every injected fault, for /emulator/faults: when (ms since start) and
    /// on which request, so tests can measure a client's retry backoff.
    struct Fault {
        std::int64_t at_ms;
        std::string kind, method, path;
    };
    std::vector<Fault> faults_;

    std::thread ticker_;
};

}  // namespace scanorch::emulator

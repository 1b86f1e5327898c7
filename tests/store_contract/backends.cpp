// The contract's backends: sqlite-store over a file in the test's data dir,
// postgres-store over a schema of its own in one PostgreSQL server the test
// binary starts. And what each plugin's config refuses.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "postgres_server.h"
#include "store_fixture.h"

using namespace contract;
using scanorch::testing::PostgresServer;

namespace {

void sqlite_raw(const std::string&, const std::string& data_dir, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_dir + "/store.sqlite").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string why = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << why;
}

void postgres_raw(const std::string& config, const std::string&, const std::string& sql) {
    auto o = Poco::JSON::Parser().parse(config).extract<Poco::JSON::Object::Ptr>();
    PGconn* c = PQconnectdb(o->getValue<std::string>("url").c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    const std::string full = "SET search_path TO " + o->getValue<std::string>("schema") + "; " + sql;
    PGresult* r = PQexec(c, full.c_str());
    const auto status = PQresultStatus(r);
    const std::string why = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    ASSERT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) << sql << ": " << why;
}

// The contract's database sorts text as production databases usually do, by
// a linguistic collation (ICU's en-US: lower case before upper, punctuation
// before letters, both weighing less than the letters themselves), not by the
// byte order of the test cluster's C locale: an ORDER BY that forgot to ask
// for byte order then fails here, not in production.
std::string linguistic_database_url() {
    static const std::string url = [] {
        const std::string server = PostgresServer::shared().url();
        PGconn* c = PQconnectdb(server.c_str());
        if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(std::string("connect: ") + PQerrorMessage(c));
        PGresult* r = PQexec(c,
                             "CREATE DATABASE contract_en_us TEMPLATE template0 ENCODING 'UTF8'"
                             " LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'");
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        const std::string why = PQresultErrorMessage(r);
        PQclear(r);
        PQfinish(c);
        if (!ok) throw std::runtime_error("cannot create the contract's en-US database: " + why);
        return server.substr(0, server.rfind('/')) + "/contract_en_us";
    }();
    return url;
}

std::string postgres_config(int n) {
    return R"({"url":")" + linguistic_database_url() + R"(","schema":"contract_)" + std::to_string(::getpid()) + "_" +
           std::to_string(n) + R"(","pool_size":4})";
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract,
                         ::testing::Values(Backend{
                             "sqlite", SQLITE_STORE_PLUGIN, "sqlite-store",
                             [](int) { return std::string(R"({"busy_timeout_ms":20000,"synchronous":"normal"})"); },
                             sqlite_raw}),
                         [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract,
                         ::testing::Values(Backend{"postgres", POSTGRES_STORE_PLUGIN, "postgres-store", postgres_config,
                                                   postgres_raw}),
                         [](const auto& info) { return info.param.name; });

namespace {

sdk::Result<std::shared_ptr<sdk::Store>> open_with(const char* file, const char* name, const std::string& config,
                                                   const std::string& data_dir = "/tmp") {
    static sf::PluginLoader loader;
    if (!loader.find(name)) {
        auto r = loader.load_file(file);
        if (!r) return std::move(r).error();
    }
    auto services = std::make_shared<sf::HostServices>(nullptr, data_dir);
    return loader.instantiate<sdk::Store>(name, config, sf::HostApi::make(services, name));
}

}  // namespace

TEST(SqliteStoreConfig, RefusesBadValuesByName) {
    auto sync = open_with(SQLITE_STORE_PLUGIN, "sqlite-store", R"({"synchronous":"sometimes"})");
    ASSERT_FALSE(sync);
    EXPECT_NE(sync.error().message.find("synchronous must be full or normal, not 'sometimes'"), std::string::npos)
        << sync.error().message;
    auto pool = open_with(SQLITE_STORE_PLUGIN, "sqlite-store", R"({"pool_size":0})");
    ASSERT_FALSE(pool);
    EXPECT_NE(pool.error().message.find("pool_size must be 1..64, not 0"), std::string::npos);
    auto dir = open_with(SQLITE_STORE_PLUGIN, "sqlite-store", R"({"path":"/proc/no/such/dir/x.sqlite"})");
    ASSERT_FALSE(dir);
    EXPECT_NE(dir.error().message.find("/proc/no/such/dir/x.sqlite"), std::string::npos) << dir.error().message;
}

TEST(PostgresStoreConfig, RefusesBadValuesAndNeverShowsThePassword) {
    auto schema = open_with(POSTGRES_STORE_PLUGIN, "postgres-store",
                            R"({"url":")" + PostgresServer::shared().url() + R"(","schema":"Robert'); DROP"})");
    ASSERT_FALSE(schema);
    EXPECT_NE(schema.error().message.find("schema 'Robert'); DROP' is not a lower-case identifier"), std::string::npos)
        << schema.error().message;
    // Nothing listens on port 1: the failure is transient (the server may
    // come back) and the message keeps the password out.
    auto down = open_with(POSTGRES_STORE_PLUGIN, "postgres-store",
                          R"({"url":"postgresql://scanorch:pw-not-for-logs@127.0.0.1:1/x?connect_timeout=2"})");
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().kind, sdk::ErrorKind::transient) << down.error().message;
    EXPECT_NE(down.error().message.find("cannot connect to PostgreSQL"), std::string::npos) << down.error().message;
    EXPECT_EQ(down.error().message.find("pw-not-for-logs"), std::string::npos) << down.error().message;
}

// A lost connection (the server restarted) fails one call as transient; the
// pool then replaces the connection and the data is still there.
TEST(PostgresStoreConfig, ReconnectsAfterAServerRestart) {
    PostgresServer own;
    auto store = open_with(POSTGRES_STORE_PLUGIN, "postgres-store", R"({"url":")" + own.url() + R"(","pool_size":1})");
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->tasks().create(sample_task("survivor")));
    own.restart();
    auto first = (*store)->tasks().get("survivor");
    ASSERT_FALSE(first) << "the pooled connection was cut by the restart";
    EXPECT_EQ(first.error().kind, sdk::ErrorKind::transient) << first.error().message;
    auto again = (*store)->tasks().get("survivor");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->targets, sample_task("survivor").targets);
    EXPECT_TRUE((*store)->ping());
}

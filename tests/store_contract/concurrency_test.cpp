// Two real processes writing to one database at once: no lost update, no
// lost row, no error a writer must see (SQLite: WAL + BEGIN IMMEDIATE + busy
// timeout; PostgreSQL: row locks and single-statement conditional writes).
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <sstream>

#include "store_fixture.h"

using namespace contract;

TEST_P(StoreContract, TwoProcessesWriteConcurrentlyWithoutLosingAnything) {
    constexpr int kPerWriter = 150;
    auto counter = sample_task("counter");
    counter.document = "0";
    ASSERT_TRUE(tasks().create(counter));
    auto shared = sample_task("shared");
    shared.lease_token = "lease";
    ASSERT_TRUE(tasks().create(shared));

    struct Writer {
        std::unique_ptr<Poco::Pipe> out = std::make_unique<Poco::Pipe>();
        std::unique_ptr<Poco::ProcessHandle> handle;
    };
    std::vector<Writer> writers(2);
    for (int w = 0; w < 2; ++w) {
        writers[w].handle = std::make_unique<Poco::ProcessHandle>(
            Poco::Process::launch(STORE_WRITER,
                                  {GetParam().plugin_file, GetParam().plugin_name, data_dir_.string(), config_,
                                   std::to_string(w + 1), std::to_string(kPerWriter)},
                                  nullptr, writers[w].out.get(), writers[w].out.get()));
    }
    for (auto& w : writers) {
        Poco::PipeInputStream in(*w.out);
        std::stringstream text;
        text << in.rdbuf();
        const int rc = w.handle->wait();
        EXPECT_EQ(rc, 0) << text.str();
        std::cout << "stale retries of one writer: " << text.str();
    }
    auto c = tasks().get("counter");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->document, std::to_string(2 * kPerWriter)) << "every increment of both processes counted";
    EXPECT_EQ(c->revision, 1u + 2 * kPerWriter);
    sdk::TaskQuery all;
    all.limit = 1000;
    auto listed = tasks().list(all);
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->tasks.size(), 2u + 2 * kPerWriter);
    auto q = page_of("shared");
    q.limit = 1000;
    auto p = findings().page(q);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->findings.size(), 2u * kPerWriter);
}

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

#include <string>

#include "scanorch/framework/logging/logging.h"

namespace sf = scanorch::framework;

namespace {

std::string formatted(const std::string& format, std::string_view message) {
    auto f = sf::make_log_formatter(format);
    spdlog::details::log_msg msg(spdlog::source_loc{}, "scanorch", spdlog::level::info, message);
    spdlog::memory_buf_t out;
    f->format(msg, out);
    return std::string(out.data(), out.size());
}

// What a request path with %0a (and other control bytes) decodes to.
constexpr std::string_view kForged = "GET /x\n2026-12-01T00:00:00.000 info  admin logged in\r\x1b[31m\x7f end";

}  // namespace

TEST(Logging, TextLinesCannotBeForgedByAMessage) {
    const auto line = formatted("text", kForged);
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    // One line: the only newline is the one that ends it.
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos);
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << "no raw terminal escape";
    EXPECT_EQ(line.find('\x7f'), std::string::npos);
    EXPECT_NE(line.find(R"(GET /x\n2026-12-01T00:00:00.000 info  admin logged in\r\x1b[31m\x7f end)"),
              std::string::npos)
        << line;
    // Unicode line breaks too; other non-ASCII text is left alone.
    const auto unicode = formatted("text",
                                   "a\xC2\x85"
                                   "b\xE2\x80\xA8"
                                   "c\xE2\x80\xA9"
                                   "d \xC3\xA9t\xC3\xA9");
    EXPECT_NE(unicode.find("a\\u0085b\\u2028c\\u2029d \xC3\xA9t\xC3\xA9"), std::string::npos) << unicode;
    EXPECT_NE(formatted("json", "x\xE2\x80\xA8y").find("x\\u2028y"), std::string::npos);
    // Ordinary text is left as it is.
    EXPECT_NE(formatted("text", R"(task "a" at C:\scans)").find(R"(task "a" at C:\scans)"), std::string::npos);
}

TEST(Logging, JsonLinesStayOneValidObject) {
    const auto line = formatted("json", kForged);
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_NE(line.find(R"("msg":"GET /x\n2026-12-01T00:00:00.000 info  admin logged in\r\u001b[31m)"),
              std::string::npos)
        << line;
    EXPECT_NE(formatted("json", R"(say "hi" \ bye)").find(R"("msg":"say \"hi\" \\ bye")"), std::string::npos);
}

#include "scanorch/framework/logging/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include "scanorch/sdk/hex.h"

namespace scanorch::framework {

namespace {

// How a message's bytes are made safe for one output line. Both keep a
// request's text (a path with %0a decoded into a newline, a header) from
// forging a second log line, wherever the message was built.
enum class Escaping { json_string, text_line };

// %* in a pattern: the message, escaped for its format.
template <Escaping kMode>
class EscapedMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        constexpr const char* hex = sdk::kHexDigits;
        const std::string_view text(msg.payload.data(), msg.payload.size());
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char ch = text[i];
            const auto c = static_cast<unsigned char>(ch);
            // Unicode's line breaks (NEL, LINE and PARAGRAPH SEPARATOR): some
            // log viewers start a new line at them too.
            if (c == 0xC2 && text.substr(i, 2) == "\xC2\x85") {
                dest.append(std::string_view("\\u0085"));
                ++i;
                continue;
            }
            if (c == 0xE2 && (text.substr(i, 3) == "\xE2\x80\xA8" || text.substr(i, 3) == "\xE2\x80\xA9")) {
                dest.append(text[i + 2] == '\xA8' ? std::string_view("\\u2028") : std::string_view("\\u2029"));
                i += 2;
                continue;
            }
            switch (c) {
                case '"':
                    if constexpr (kMode == Escaping::json_string) {
                        dest.append(std::string_view("\\\""));
                    } else {
                        dest.push_back(ch);
                    }
                    break;
                case '\\':
                    if constexpr (kMode == Escaping::json_string) {
                        dest.append(std::string_view("\\\\"));
                    } else {
                        dest.push_back(ch);
                    }
                    break;
                case '\n': dest.append(std::string_view("\\n")); break;
                case '\r': dest.append(std::string_view("\\r")); break;
                case '\t': dest.append(std::string_view("\\t")); break;
                default:
                    if (c < 0x20 || (kMode == Escaping::text_line && c == 0x7f)) {
                        // JSON has \u00XX; a text line uses the shorter \xXX.
                        if constexpr (kMode == Escaping::json_string) {
                            const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                            dest.append(esc, esc + sizeof esc);
                        } else {
                            const char esc[] = {'\\', 'x', hex[c >> 4], hex[c & 0xF]};
                            dest.append(esc, esc + sizeof esc);
                        }
                    } else {
                        dest.push_back(ch);
                    }
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedMessage>(); }
};

}  // namespace

spdlog::level::level_enum parse_log_level(const std::string& level) {
    std::string l = level;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    if (l == "warning") l = "warn";
    if (l == "error") l = "err";
    return spdlog::level::from_str(l);
}

std::unique_ptr<spdlog::formatter> make_log_formatter(const std::string& format) {
    if (format == "json") {
        auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
        formatter->add_flag<EscapedMessage<Escaping::json_string>>('*').set_pattern(
            R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","pid":%P,"thread":%t,"msg":"%*"})");
        return formatter;
    }
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<EscapedMessage<Escaping::text_line>>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %*");
    return formatter;
}

void configure_logging(const LogSettings& settings) {
    auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>("scanorch", sink);
    logger->set_formatter(make_log_formatter(settings.format));
    const auto level = parse_log_level(settings.level);
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    spdlog::set_level(level);
    spdlog::flush_every(std::chrono::seconds(1));
}

}  // namespace scanorch::framework

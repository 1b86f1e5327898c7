// The typed form of a plugin instance's config (scanorch_config in abi.h),
// built from the JSON the config readers produced: each declared key with a
// value, by its declared type. Owns every string the C table points to, so
// the table stays valid as long as this object does (create() only needs it
// during the call).
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "scanorch/framework/plugins/plugin_info.h"
#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/config.h"
#include "scanorch/sdk/result.h"

namespace scanorch::framework {

class ConfigValues {
public:
    /// `json` is a plugin's config as built by build_plugin_config() (or, for
    /// a scanner, scanner_plugin_config(): the declared keys are then under
    /// "options", and instance_id, url and credentials.* are added). A
    /// declared key the JSON lacks takes its declared default.
    /// invalid_input when the JSON is not an object or a value does not have
    /// its declared type (a config built by hand in a test, say).
    static sdk::Result<ConfigValues> build(const PluginInfo& plugin, const std::string& json);

    /// The same, as the sdk::Config a plugin's create() would read: for
    /// tests and fuzzers that run a plugin's config code without a host.
    static sdk::Result<sdk::Config> config(const PluginInfo& plugin, const std::string& json);

    /// A plugin's declared keys (its kConfig) as the host records them.
    static std::vector<ConfigFieldInfo> fields(const scanorch_config_field* table, std::size_t count);
    template <std::size_t N>
    static std::vector<ConfigFieldInfo> fields(const scanorch_config_field (&table)[N]) {
        return fields(table, N);
    }

    ConfigValues(const ConfigValues&) = delete;
    ConfigValues& operator=(const ConfigValues&) = delete;
    // A move forgets the table: it points into the old object's strings.
    ConfigValues(ConfigValues&& other) noexcept : json_(std::move(other.json_)), items_(std::move(other.items_)) {}
    ConfigValues& operator=(ConfigValues&& other) noexcept {
        json_ = std::move(other.json_);
        items_ = std::move(other.items_);
        item_ptrs_.clear();
        values_.clear();
        config_ = {};
        return *this;
    }

    /// Built on the first call; valid while this object lives and is not
    /// moved (later calls return the same table).
    const scanorch_config* c_config();

private:
    ConfigValues() = default;

    struct Item {
        std::string name;
        scanorch_config_type type = SCANORCH_CFG_STRING;
        std::int64_t integer = 0;
        double number = 0;
        std::string text{};
        std::vector<std::string> items{};
    };
    void add(Item item) { items_.push_back(std::move(item)); }

    std::string json_;
    std::deque<Item> items_;
    std::vector<std::vector<const char*>> item_ptrs_;
    std::vector<scanorch_config_value> values_;
    scanorch_config config_{};
};

}  // namespace scanorch::framework

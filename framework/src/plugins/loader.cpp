#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/plugins/config_values.h"

// Boost.DLL with std::filesystem, so no Boost.Filesystem/System libraries are
// linked (and no GNU_UNIQUE Boost.System symbols pin our own binaries).
#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstring>
#include <regex>

#include "scanorch/sdk/plugin.h"  // SCANORCH_CXX_ABI_TAG of the host

namespace scanorch::framework {

namespace dll = boost::dll;

// The descriptor as it was in ABI 1.0; a plugin's struct_size below this is
// truncated. Later minors may only append, so this never changes within 1.x.
constexpr std::size_t kDescriptorSize_1_0 =
    offsetof(scanorch_plugin_descriptor, destroy) + sizeof(scanorch_plugin_descriptor::destroy);

struct PluginLoader::Entry {
    PluginInfo info;
    scanorch_plugin_descriptor descriptor{};  // the host's copy (min of both sizes), zero-filled
    std::shared_ptr<const void> keepalive;    // the library, for loaded files
};

namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// dlerror() text without Boost's wrapping.
std::string dl_message(const std::exception& e) {
    std::string what = e.what();
    const std::string marker = "(dlerror system message: ";
    const auto at = what.find(marker);
    if (at == std::string::npos) return what;
    auto text = what.substr(at + marker.size());
    const auto close = text.rfind(')');
    if (close != std::string::npos) text.erase(close);
    return text;
}

bool valid_name(const std::string& name) {
    static const std::regex re("^[a-z0-9][a-z0-9-]{0,63}$");
    return std::regex_match(name, re);
}

bool valid_semver(const std::string& v) {
    static const std::regex re(
        R"(^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$)");
    return std::regex_match(v, re);
}

bool valid_json(const char* text) {
    try {
        Poco::JSON::Parser parser;  // wrapped: Poco 1.11 parses only objects and arrays at top level
        parser.parse("[" + std::string(text) + "]");
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace

PluginLoader::PluginLoader() = default;
PluginLoader::~PluginLoader() = default;

sdk::Result<const PluginInfo*> PluginLoader::load_file(const std::filesystem::path& file) {
    const std::string where = "plugin " + file.string();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return sdk::Error::not_found(where + ": no such file");
    if (!std::filesystem::is_regular_file(file, ec)) return sdk::Error::invalid_input(where + ": not a regular file");

    auto lib = std::make_shared<dll::shared_library>();
    try {
        // rtld_now: an unresolved symbol fails here, at start-up, not mid-scan.
        // The throwing form keeps dlerror()'s text (the error_code form drops it in 1.74).
        lib->load(file, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        return sdk::Error::invalid_input(where + ": cannot load: " + dl_message(e));
    }

    if (!lib->has(SCANORCH_PLUGIN_ENTRY_SYMBOL)) {
        // Another major's entry: name the version, so the message says
        // "rebuild", not "not a plugin". A 1.x plugin needs source changes.
        for (int major = 1; major <= 9; ++major) {
            if (major == SCANORCH_SDK_ABI_MAJOR) continue;
            const std::string symbol = "scanorch_plugin_entry_v" + std::to_string(major);
            if (!lib->has(symbol)) continue;
            std::string message = where + ": plugin built for SDK ABI major " + std::to_string(major) + " (exports " +
                                  symbol + "), this scanorchd provides " + std::to_string(SCANORCH_SDK_ABI_MAJOR) +
                                  "." + std::to_string(SCANORCH_SDK_ABI_MINOR);
            if (major < SCANORCH_SDK_ABI_MAJOR) {
                message += "; port it to SDK " + std::to_string(SCANORCH_SDK_ABI_MAJOR) +
                           " (docs/PLUGIN_GUIDE.md, \"Migrating from SDK 1.x\") and rebuild it";
            } else {
                message += "; upgrade scanorchd, or rebuild the plugin against scanorch-sdk " +
                           std::to_string(SCANORCH_SDK_ABI_MAJOR) + ".x";
            }
            return sdk::Error::invalid_input(message);
        }
        return sdk::Error::invalid_input(where + ": not a scanorch plugin (no " SCANORCH_PLUGIN_ENTRY_SYMBOL
                                                 " symbol)");
    }

    const scanorch_plugin_descriptor* descriptor = nullptr;
    try {
        auto& entry = lib->get<const scanorch_plugin_descriptor*()>(SCANORCH_PLUGIN_ENTRY_SYMBOL);
        descriptor = entry();
    } catch (const std::exception& e) {
        return sdk::Error::internal(where + ": " SCANORCH_PLUGIN_ENTRY_SYMBOL " failed: " + e.what());
    }
    // The library is held by the entry and by every instance.
    return register_descriptor(descriptor, file.string(), std::static_pointer_cast<const void>(lib));
}

sdk::Result<const PluginInfo*> PluginLoader::add(const scanorch_plugin_descriptor* descriptor, std::string origin,
                                                 std::shared_ptr<const void> keepalive) {
    return register_descriptor(descriptor, std::move(origin), std::move(keepalive));
}

sdk::Result<const PluginInfo*> PluginLoader::register_descriptor(const scanorch_plugin_descriptor* d,
                                                                 std::string origin,
                                                                 std::shared_ptr<const void> keepalive) {
    const std::string where = "plugin " + origin;
    if (d == nullptr)
        return sdk::Error::invalid_input(where + ": " SCANORCH_PLUGIN_ENTRY_SYMBOL " returned no descriptor");

    // Checks in a fixed order; the first failure is the one reported.
    if (d->struct_size < kDescriptorSize_1_0) {
        return sdk::Error::invalid_input(where + ": descriptor is truncated (" + std::to_string(d->struct_size) +
                                         " < " + std::to_string(kDescriptorSize_1_0) + " bytes)");
    }
    auto entry = std::make_unique<Entry>();
    // Never copy more than either side knows (a newer plugin's struct may be longer).
    std::memcpy(&entry->descriptor, d, std::min<std::size_t>(d->struct_size, sizeof(scanorch_plugin_descriptor)));
    const scanorch_plugin_descriptor& desc = entry->descriptor;

    const std::string name = desc.name != nullptr ? desc.name : "";
    const std::string who = name.empty() ? where : where + ": plugin " + quoted(name);
    const std::string host_abi = std::to_string(SCANORCH_SDK_ABI_MAJOR) + "." + std::to_string(SCANORCH_SDK_ABI_MINOR);
    const std::string plugin_abi = std::to_string(desc.abi_major) + "." + std::to_string(desc.abi_minor);

    if (desc.abi_major != SCANORCH_SDK_ABI_MAJOR) {
        return sdk::Error::invalid_input(who + " was built for SDK ABI " + plugin_abi + ", this scanorchd provides " +
                                         host_abi + " (major differs); rebuild it against scanorch-sdk " +
                                         std::to_string(SCANORCH_SDK_ABI_MAJOR) + ".x");
    }
    if (desc.abi_minor > SCANORCH_SDK_ABI_MINOR) {
        return sdk::Error::invalid_input(who + " needs SDK ABI " + plugin_abi + ", this scanorchd provides " +
                                         host_abi + " (minor too new); rebuild it against scanorch-sdk <= " + host_abi +
                                         " or upgrade scanorchd");
    }
    const std::string cxx_abi = desc.cxx_abi != nullptr ? desc.cxx_abi : "(none)";
    if (cxx_abi != SCANORCH_CXX_ABI_TAG) {
        return sdk::Error::invalid_input(who + " was built for C++ library " + quoted(cxx_abi) + ", scanorchd uses " +
                                         quoted(SCANORCH_CXX_ABI_TAG));
    }
    if (desc.kind < SCANORCH_KIND_SCANNER || desc.kind > SCANORCH_KIND_STORE) {
        return sdk::Error::invalid_input(who + " has unknown kind " + std::to_string(desc.kind) +
                                         " (known: 1 scanner, 2 validator, 3 queue, 4 router, 5 frontend, 6 store)");
    }
    if (!valid_name(name)) {
        return sdk::Error::invalid_input(where + ": plugin name " + quoted(name) +
                                         " is invalid (lower-case letters, digits and '-', at most 64)");
    }
    if (const PluginInfo* other = find(name)) {
        return sdk::Error::invalid_input(who + " is already loaded from " + other->file);
    }
    const std::string version = desc.version != nullptr ? desc.version : "";
    if (!valid_semver(version)) {
        return sdk::Error::invalid_input(who + " has invalid version " + quoted(version) +
                                         " (expected semver, e.g. 1.2.3)");
    }
    if (desc.create == nullptr || desc.destroy == nullptr) {
        return sdk::Error::invalid_input(who + " has no create/destroy function in its descriptor");
    }
    if (desc.config_field_count > 0 && desc.config_fields == nullptr) {
        return sdk::Error::invalid_input(who + " declares " + std::to_string(desc.config_field_count) +
                                         " config fields but no field table");
    }

    PluginInfo& info = entry->info;
    info.file = std::move(origin);
    info.name = name;
    info.version = version;
    info.description = desc.description != nullptr ? desc.description : "";
    info.cxx_abi = cxx_abi;
    info.kind = static_cast<scanorch_plugin_kind>(desc.kind);
    info.abi_major = desc.abi_major;
    info.abi_minor = desc.abi_minor;
    for (std::size_t i = 0; i < desc.config_field_count; ++i) {
        const scanorch_config_field& f = desc.config_fields[i];
        const std::string field = f.name != nullptr ? f.name : "";
        if (field.empty())
            return sdk::Error::invalid_input(who + ": config field #" + std::to_string(i) + " has no name");
        if (f.type < SCANORCH_CFG_STRING || f.type > SCANORCH_CFG_SECRET) {
            return sdk::Error::invalid_input(who + ": config field " + quoted(field) + " has unknown type " +
                                             std::to_string(f.type));
        }
        if (f.default_json != nullptr && !valid_json(f.default_json)) {
            return sdk::Error::invalid_input(who + ": config field " + quoted(field) +
                                             " has a default that is not JSON: " + f.default_json);
        }
        // A scanner's config also carries its scanners.yaml entry under these
        // names (config_values.h): an option may not shadow them.
        if (desc.kind == SCANORCH_KIND_SCANNER &&
            (field == "instance_id" || field == "url" || field.rfind("credentials.", 0) == 0)) {
            return sdk::Error::invalid_input(
                who + ": config field " + quoted(field) +
                " is reserved for the scanner's scanners.yaml entry; name the option otherwise");
        }
        info.config.push_back({field, static_cast<scanorch_config_type>(f.type), f.required != 0,
                               f.default_json != nullptr ? std::optional<std::string>(f.default_json) : std::nullopt,
                               f.description != nullptr ? f.description : ""});
    }
    // Each default must have its key's type: found now, at load, not when
    // an instance that leaves the key out starts.
    if (auto defaults = ConfigValues::build(info, "{}"); !defaults) {
        return sdk::Error::invalid_input(
            who + ": a config default does not have its declared type: " + defaults.error().message);
    }
    entry->keepalive = std::move(keepalive);
    entries_.push_back(std::move(entry));
    return &entries_.back()->info;
}

PluginLoader::DirectoryReport PluginLoader::load_directory(const std::filesystem::path& dir) {
    DirectoryReport report;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        report.errors.push_back("plugin directory " + dir.string() + ": " +
                                (std::filesystem::exists(dir, ec) ? "not a directory" : "no such directory"));
        return report;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".so") files.push_back(e.path());
    }
    if (ec) report.errors.push_back("plugin directory " + dir.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        auto r = load_file(f);
        if (r) {
            report.loaded.push_back(r.value());
        } else {
            report.errors.push_back(r.error().message);
        }
    }
    return report;
}

const PluginInfo* PluginLoader::find(std::string_view name) const {
    for (const auto& e : entries_) {
        if (e->info.name == name) return &e->info;
    }
    return nullptr;
}

std::vector<const PluginInfo*> PluginLoader::plugins() const {
    std::vector<const PluginInfo*> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.push_back(&e->info);
    return out;
}

sdk::Result<std::shared_ptr<void>> PluginLoader::instantiate_raw(std::string_view name, scanorch_plugin_kind expected,
                                                                 const std::string& config_json,
                                                                 const std::shared_ptr<HostApi>& host,
                                                                 const ConfigErrorLocator& locate) const {
    const Entry* entry = nullptr;
    for (const auto& e : entries_) {
        if (e->info.name == name) entry = e.get();
    }
    if (entry == nullptr) {
        std::string known;
        for (const auto& e : entries_) {
            if (e->info.kind == expected) known += (known.empty() ? "" : ", ") + e->info.name;
        }
        return sdk::Error::not_found("no " + kind_name(expected) + " plugin named " + quoted(std::string(name)) +
                                     " is loaded (loaded " + kind_name(expected) +
                                     " plugins: " + (known.empty() ? "none" : known) + ")");
    }
    const PluginInfo& info = entry->info;
    if (info.kind != expected) {
        return sdk::Error::invalid_input("plugin " + info.file + ": plugin " + quoted(info.name) + " is a " +
                                         kind_name(info.kind) + ", but a " + kind_name(expected) + " is needed here");
    }
    auto values = ConfigValues::build(info, config_json);
    if (!values) return std::move(values).error();
    scanorch_status status{};
    void* raw = nullptr;
    try {  // a plugin written without the SDK macro might still throw
        raw = entry->descriptor.create(host ? host->c_api() : nullptr, values->c_config(), &status);
    } catch (const std::exception& e) {
        return sdk::Error::internal("plugin " + quoted(info.name) + " failed to start: exception: " + e.what());
    } catch (...) {
        return sdk::Error::internal("plugin " + quoted(info.name) + " failed to start: unknown exception");
    }
    if (raw == nullptr) {
        status.message[sizeof(status.message) - 1] = '\0';
        const auto kind = status.kind >= SCANORCH_ERR_TRANSIENT && status.kind <= SCANORCH_ERR_FORBIDDEN
                              ? static_cast<sdk::ErrorKind>(status.kind)
                              : sdk::ErrorKind::internal;
        if (kind == sdk::ErrorKind::invalid_input && locate) {
            if (auto located = locate(status.message)) {
                return sdk::Error{kind, *located + " (plugin " + quoted(info.name) + " refused its config)"};
            }
        }
        return sdk::Error{kind, "plugin " + quoted(info.name) + " failed to start: " +
                                    (status.message[0] != '\0' ? status.message : "no reason given")};
    }
    // The deleter keeps the library and the host table alive until the
    // plugin's own destroy() has returned (docs/SDK_RULES.md §5).
    auto destroy = entry->descriptor.destroy;
    return std::shared_ptr<void>(raw, [destroy, lib = entry->keepalive, host](void* p) noexcept { destroy(p); });
}

}  // namespace scanorch::framework

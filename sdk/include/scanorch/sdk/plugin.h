// SCANORCH_PLUGIN(Impl): turns a class into a loadable scanorch plugin.
//
// What a plugin author writes (one .cpp, built with scanorch_add_plugin()):
//
//   class RoundRobin final : public scanorch::sdk::Router {
//   public:
//       using interface_type = scanorch::sdk::Router;
//       static constexpr const char* kName = "round-robin";      // [a-z0-9-]+
//       static constexpr const char* kVersion = "1.0.0";         // semver
//       static constexpr const char* kDescription = "Spreads scans evenly";
//       static constexpr scanorch_config_field kConfig[] = {      // optional
//           scanorch::sdk::ConfigKey{.name = "skip_full", .type = SCANORCH_CFG_BOOL, .default_json = "true",
//            .description = "Skip scanners at capacity"}};
//       static scanorch::sdk::Result<std::unique_ptr<RoundRobin>> create(scanorch::sdk::PluginContext ctx);
//       scanorch::sdk::Result<scanorch::sdk::RouteDecision> route(...) noexcept override;
//   };
//   SCANORCH_PLUGIN(RoundRobin)
//
// The macro writes the one exported C function, scanorch_plugin_entry_v2,
// returning a static descriptor (abi.h). create() runs inside try/catch, so a
// constructor may throw: the exception becomes an `internal` error the host
// reports, never a crash. Use it once per shared object. Read the config in
// create() through ctx.config() (config.h); its values are copied there.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/context.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/visibility.h"

// Instances are C++ objects, so plugin and host must share one C++ library
// ABI. (Not __GXX_ABI_VERSION: g++ 12 and clang 14 report different values
// for the same libstdc++.)
#if defined(_LIBCPP_VERSION)
#define SCANORCH_CXX_ABI_TAG "libc++"
#elif defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define SCANORCH_CXX_ABI_TAG "libstdc++/cxx11"
#else
#define SCANORCH_CXX_ABI_TAG "libstdc++/cow"
#endif

namespace scanorch::sdk::detail {

inline void fill_status(scanorch_status* status, const Error& error) noexcept {
    if (status == nullptr) return;
    status->kind = static_cast<std::uint32_t>(error.kind);
    const std::size_t n = std::min(error.message.size(), sizeof(status->message) - 1);
    std::memcpy(status->message, error.message.data(), n);
    status->message[n] = '\0';
}

template <class Impl>
concept HasConfig = requires {
    std::size(Impl::kConfig);
};

template <class Impl>
void* create(const scanorch_host_api* host, const scanorch_config* config, scanorch_status* status) noexcept {
    using Iface = typename Impl::interface_type;
    try {
        Result<std::unique_ptr<Impl>> made = Impl::create(PluginContext(host, config));
        if (!made) {
            fill_status(status, made.error());
            return nullptr;
        }
        if (!made.value()) {
            fill_status(status, Error::internal("create() returned a null instance"));
            return nullptr;
        }
        // The host casts void* back to Iface*; convert here, where Impl is known.
        return static_cast<void*>(static_cast<Iface*>(std::move(made).value().release()));
    } catch (const ConfigError& e) {
        fill_status(status, Error::internal(std::string("config read in create(): ") + e.what()));
    } catch (const std::exception& e) {
        fill_status(status, Error::internal(std::string("exception in create(): ") + e.what()));
    } catch (...) {
        fill_status(status, Error::internal("unknown exception in create()"));
    }
    return nullptr;
}

template <class Impl>
void destroy(void* instance) noexcept {
    delete static_cast<typename Impl::interface_type*>(instance);
}

template <class Impl>
constexpr scanorch_plugin_descriptor make_descriptor() noexcept {
    const scanorch_config_field* fields = nullptr;
    std::size_t field_count = 0;
    if constexpr (HasConfig<Impl>) {
        fields = Impl::kConfig;
        field_count = std::size(Impl::kConfig);
    }
    return {sizeof(scanorch_plugin_descriptor),
            SCANORCH_SDK_ABI_MAJOR,
            SCANORCH_SDK_ABI_MINOR,
            SCANORCH_CXX_ABI_TAG,
            static_cast<std::uint32_t>(Impl::interface_type::kind),
            Impl::kName,
            Impl::kVersion,
            Impl::kDescription,
            fields,
            field_count,
            &create<Impl>,
            &destroy<Impl>};
}

template <class Impl>
constexpr bool check_plugin() {
    static_assert(
        requires { typename Impl::interface_type; },
        "SCANORCH_PLUGIN: expected `using interface_type = scanorch::sdk::<Kind>;` in the class");
    using Iface = typename Impl::interface_type;
    static_assert(std::is_base_of_v<Iface, Impl>,
                  "SCANORCH_PLUGIN: the class must derive from its interface_type "
                  "(scanorch::sdk::Scanner, Validator, QueueBackend, Router, Frontend or Store)");
    static_assert(std::has_virtual_destructor_v<Iface>, "SCANORCH_PLUGIN: interface_type is not an SDK interface");
    static_assert(std::is_convertible_v<decltype(Impl::kName), const char*>,
                  "SCANORCH_PLUGIN: expected `static constexpr const char* kName = \"my-plugin\";`");
    static_assert(std::is_convertible_v<decltype(Impl::kVersion), const char*>,
                  "SCANORCH_PLUGIN: expected `static constexpr const char* kVersion = \"1.0.0\";`");
    static_assert(std::is_convertible_v<decltype(Impl::kDescription), const char*>,
                  "SCANORCH_PLUGIN: expected `static constexpr const char* kDescription = \"...\";`");
    static_assert(
        std::is_same_v<decltype(Impl::create(std::declval<PluginContext>())), Result<std::unique_ptr<Impl>>>,
        "SCANORCH_PLUGIN: expected `static scanorch::sdk::Result<std::unique_ptr<Impl>> create(scanorch::sdk::PluginContext);`");
    return true;
}

}  // namespace scanorch::sdk::detail

#define SCANORCH_PLUGIN(Impl)                                                                                     \
    static_assert(::scanorch::sdk::detail::check_plugin<Impl>());                                                 \
    namespace {                                                                                                   \
    constexpr scanorch_plugin_descriptor scanorch_descriptor_ = ::scanorch::sdk::detail::make_descriptor<Impl>(); \
    }                                                                                                             \
    SCANORCH_EXPORT const scanorch_plugin_descriptor* scanorch_plugin_entry_v2(void) { return &scanorch_descriptor_; }

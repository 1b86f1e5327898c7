#include "scanorch/framework/plugins/plugin_info.h"

namespace scanorch::framework {

std::string kind_name(std::uint32_t kind) {
    switch (kind) {
        case SCANORCH_KIND_SCANNER: return "scanner";
        case SCANORCH_KIND_VALIDATOR: return "validator";
        case SCANORCH_KIND_QUEUE: return "queue";
        case SCANORCH_KIND_ROUTER: return "router";
        case SCANORCH_KIND_FRONTEND: return "frontend";
        case SCANORCH_KIND_STORE: return "store";
        default: return "unknown(" + std::to_string(kind) + ")";
    }
}

std::optional<scanorch_plugin_kind> parse_kind(std::string_view name) {
    for (auto k : {SCANORCH_KIND_SCANNER, SCANORCH_KIND_VALIDATOR, SCANORCH_KIND_QUEUE, SCANORCH_KIND_ROUTER,
                   SCANORCH_KIND_FRONTEND, SCANORCH_KIND_STORE}) {
        if (kind_name(k) == name) return k;
    }
    return std::nullopt;
}

std::string_view config_type_name(std::uint32_t type) {
    switch (type) {
        case SCANORCH_CFG_STRING: return "string";
        case SCANORCH_CFG_INT: return "int";
        case SCANORCH_CFG_BOOL: return "bool";
        case SCANORCH_CFG_DOUBLE: return "double";
        case SCANORCH_CFG_DURATION: return "duration";
        case SCANORCH_CFG_STRING_LIST: return "string list";
        case SCANORCH_CFG_OBJECT: return "object";
        case SCANORCH_CFG_SECRET: return "secret";
        default: return "unknown";
    }
}

}  // namespace scanorch::framework

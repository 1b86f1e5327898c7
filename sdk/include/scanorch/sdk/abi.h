/* scanorch plugin ABI: the only binary contract between scanorchd and a plugin.
 *
 * Pure C (compiles as C11) so that the boundary can be checked before any C++
 * object crosses it. Every .so exports exactly one function,
 * scanorch_plugin_entry_v2, returning a static descriptor; SCANORCH_PLUGIN()
 * in plugin.h writes it for you.
 *
 * VERSIONING RULES (enforced by tests/unit/sdk/abi_lock and by the loader):
 *  1. SCANORCH_SDK_ABI_MAJOR.MINOR is separate from the product version.
 *  2. MINOR bump (old plugins keep working): append a field at the END of a
 *     struct below (readers check struct_size first); append an enum value;
 *     add a new plugin kind; expose a new optional interface through an
 *     existing interface's extension() hook.
 *  3. MAJOR bump: any change to an existing field, enum value or signature,
 *     and ANY change to the virtual functions of an existing C++ interface
 *     (scanner.h, validator.h, queue.h, dead_letters.h, shared_state.h,
 *     queue_backend.h, router.h, frontend.h, tool_service.h, store.h,
 *     counters.h, pool_snapshot.h, findings.h, task_stamps.h,
 *     task_removal.h, scan_list.h, slot_vacate.h), adding one included: an old plugin's vtable has no
 *     slot for it. Rename the entry symbol to ..._v<major>.
 *  4. The host accepts a plugin when its major equals the host's and its
 *     minor is not newer than the host's. A host only uses a field or hook
 *     added in minor N when the plugin's abi_minor >= N.
 *  5. sdk/abi.lock holds the sha256 of the boundary headers and the ABI
 *     version they belong to; CTest fails when the headers change and the
 *     version does not.
 */
#ifndef SCANORCH_SDK_ABI_H
#define SCANORCH_SDK_ABI_H

#include <stddef.h>
#include <stdint.h>

/* 2.0 (before the first release) gathered the breaking changes of 1.x:
 * the queue kind split into Queue, DeadLetters and SharedState (the circuit
 * breaker's state became keys the host owns, written by compare-and-set), create() receives the config
 * as typed values (scanorch_config), and the entry symbol is ..._v2.
 * docs/PLUGIN_GUIDE.md "Migrating from SDK 1.x" lists what a plugin changes.
 * 2.1: the scanner extension kScannerScanList (scan_list.h).
 * 2.2: the queue extension kQueueSlotVacate (slot_vacate.h). */
#define SCANORCH_SDK_ABI_MAJOR 2
#define SCANORCH_SDK_ABI_MINOR 2
/* The major is in the name, so a v2 host can still recognise (and refuse
 * with a useful message) a v1 plugin instead of calling it "not a plugin". */
#define SCANORCH_PLUGIN_ENTRY_SYMBOL "scanorch_plugin_entry_v2"
#define SCANORCH_MAX_ERRLEN 1024

#ifdef __cplusplus
extern "C" {
#endif

/* Plugin kinds. Append only; values are fixed. */
typedef enum scanorch_plugin_kind {
    SCANORCH_KIND_SCANNER = 1,
    SCANORCH_KIND_VALIDATOR = 2,
    SCANORCH_KIND_QUEUE = 3,
    SCANORCH_KIND_ROUTER = 4,
    SCANORCH_KIND_FRONTEND = 5,
    SCANORCH_KIND_STORE = 6 /* ABI 1.2: tasks and findings in a database (store.h) */
} scanorch_plugin_kind;

/* Error kinds (docs/SDK_RULES.md §6). Retries, the circuit breaker and the DLQ
 * decide on these. Append only; values are fixed. */
typedef enum scanorch_error_kind {
    SCANORCH_OK = 0,
    SCANORCH_ERR_TRANSIENT = 1,     /* try again later: timeouts, 5xx, 429, resets */
    SCANORCH_ERR_PERMANENT = 2,     /* will fail the same way again */
    SCANORCH_ERR_AUTH = 3,          /* credentials rejected */
    SCANORCH_ERR_INVALID_INPUT = 4, /* the caller's request is wrong */
    SCANORCH_ERR_NOT_FOUND = 5,
    SCANORCH_ERR_CAPACITY = 6, /* no room now (limit, quota) */
    SCANORCH_ERR_INTERNAL = 7, /* a bug: logged at error level with the plugin name */
    SCANORCH_ERR_FORBIDDEN = 8 /* ABI 1.1: well-formed, but the caller may not do it (scope, policy) */
} scanorch_error_kind;

typedef enum scanorch_log_level {
    SCANORCH_LOG_TRACE = 0,
    SCANORCH_LOG_DEBUG = 1,
    SCANORCH_LOG_INFO = 2,
    SCANORCH_LOG_WARN = 3,
    SCANORCH_LOG_ERROR = 4,
    SCANORCH_LOG_CRITICAL = 5,
    SCANORCH_LOG_OFF = 6
} scanorch_log_level;

typedef enum scanorch_metric_type {
    SCANORCH_METRIC_COUNTER = 1,  /* record() adds value (>= 0) */
    SCANORCH_METRIC_GAUGE = 2,    /* record() sets value */
    SCANORCH_METRIC_HISTOGRAM = 3 /* record() observes value */
} scanorch_metric_type;

/* Types of declared config keys. The host validates the YAML against them
 * before create(), so errors can name file, line and key. */
typedef enum scanorch_config_type {
    SCANORCH_CFG_STRING = 1,
    SCANORCH_CFG_INT = 2,
    SCANORCH_CFG_BOOL = 3,
    SCANORCH_CFG_DOUBLE = 4,
    SCANORCH_CFG_DURATION = 5, /* integer seconds, or "30s", "5m", "1h"; passed as seconds */
    SCANORCH_CFG_STRING_LIST = 6,
    SCANORCH_CFG_OBJECT = 7, /* any mapping; the plugin checks its inside */
    SCANORCH_CFG_SECRET = 8  /* a string the host never logs */
} scanorch_config_type;

/* One config value as create() receives it: a declared key after the host
 * checked its type and applied its default (keys without a value and without
 * a default are absent). OWNERSHIP: host; valid only during create(), so a
 * plugin copies what it keeps (sdk::Config does).
 * For a scanner plugin the host adds three reserved kinds of entries beside
 * the declared options: "instance_id" and "url" (STRING) and one
 * "credentials.<name>" (SECRET) per credential in scanners.yaml. */
typedef struct scanorch_config_value {
    const char* name;
    uint32_t type;            /* scanorch_config_type of the declared field */
    int64_t integer;          /* INT; DURATION in seconds; BOOL as 0 or 1 */
    double number;            /* DOUBLE */
    const char* text;         /* STRING, SECRET; OBJECT: the mapping as JSON text */
    const char* const* items; /* STRING_LIST */
    size_t item_count;
} scanorch_config_value;

/* A plugin instance's whole config. OWNERSHIP: host; valid only during create(). */
typedef struct scanorch_config {
    uint32_t struct_size;
    uint32_t value_size; /* sizeof(scanorch_config_value) as the host saw it: step through values by it */
    const char* json;    /* the same config as one JSON object ("{}" when empty) */
    const scanorch_config_value* values;
    size_t value_count;
} scanorch_config;

/* Filled by the plugin when create() fails.
 * OWNERSHIP: host (caller-allocated). message is NUL-terminated. */
typedef struct scanorch_status {
    uint32_t kind; /* scanorch_error_kind */
    char message[SCANORCH_MAX_ERRLEN];
} scanorch_status;

/* One accepted config key. OWNERSHIP: plugin, static storage. */
typedef struct scanorch_config_field {
    const char* name;
    uint32_t type;            /* scanorch_config_type */
    uint32_t required;        /* 0 or 1 */
    const char* default_json; /* JSON text of the default; NULL = no default */
    const char* description;
} scanorch_config_field;

/* Services the host offers a plugin instance.
 * OWNERSHIP: host. LIFETIME: from create() until destroy() returns, so a
 * plugin may keep the pointer. Callbacks are thread-safe. */
typedef struct scanorch_host_api {
    uint32_t struct_size;   /* read a field added after 1.0 only if it lies within struct_size */
    void* host_ctx;         /* opaque; pass back unchanged */
    uint32_t min_log_level; /* scanorch_log_level; lets the plugin skip formatting */
    /* msg need not be NUL-terminated. The host prefixes the plugin name. */
    void (*log)(void* host_ctx, uint32_t level, const char* msg, size_t msg_len);
    /* Declares a metric family; returns a handle, or 0 when rejected (bad
     * name or labels, or the name is already declared with another shape).
     * Declaring the same family again returns the same handle. */
    uint64_t (*metric_family)(void* host_ctx, uint32_t type, const char* name, const char* help,
                              const char* const* label_names, size_t label_count, const double* buckets,
                              size_t bucket_count);
    /* label_count must equal the family's; unknown handles are ignored. */
    void (*metric_record)(void* host_ctx, uint64_t family, const char* const* label_values, size_t label_count,
                          double value);
    const char* data_dir;                   /* NUL-terminated absolute path; the plugin may create files below it */
    int64_t (*now_unix_ms)(void* host_ctx); /* the host's clock (tests inject time) */
    /* ABI 1.3. For a queue whose state lives in one process's memory: the
     * tasks of the host's store it must hold, so it can rebuild itself after
     * a restart and follow what other processes change (the store is the
     * truth; such a queue is a view of it). Calls sink once with a JSON array
     * of objects {task_id, status ("queued", "running" or "failed"),
     * dead_letter, error, queue ("" = global), created_at, updated_at,
     * completed_at, attempts, payload}: every unfinished task and every failed one waiting
     * in the dead-letter queue. Returns 0, or -1 when the host has no store
     * to offer or cannot read it now (the sink is then not called). */
    int (*local_queue_tasks)(void* host_ctx, void (*sink)(void* user, const char* json, size_t json_len), void* user);
} scanorch_host_api;

/* What the entry symbol returns.
 * OWNERSHIP: plugin, static storage; the host copies the strings at load. */
typedef struct scanorch_plugin_descriptor {
    uint32_t struct_size; /* sizeof(scanorch_plugin_descriptor) as the plugin saw it */
    uint16_t abi_major;
    uint16_t abi_minor;
    const char* cxx_abi; /* instances are C++ objects: must equal the host's C++ library ABI */
    uint32_t kind;       /* scanorch_plugin_kind */
    const char* name;    /* [a-z0-9-]+, unique per process */
    const char* version; /* semver of the plugin itself */
    const char* description;
    const scanorch_config_field* config_fields;
    size_t config_field_count;
    /* Returns the kind's interface pointer (e.g. scanorch::sdk::Scanner*,
     * scanorch::sdk::QueueBackend*) as void*, or NULL with *status filled.
     * Never throws. config is never NULL and lives until create() returns;
     * host stays valid until destroy() returns. */
    void* (*create)(const scanorch_host_api* host, const scanorch_config* config, scanorch_status* status);
    /* Destroys an instance from create(). Must join every thread and cancel
     * every timer the instance started before returning. */
    void (*destroy)(void* instance);
} scanorch_plugin_descriptor;

typedef const scanorch_plugin_descriptor* (*scanorch_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* SCANORCH_SDK_ABI_H */

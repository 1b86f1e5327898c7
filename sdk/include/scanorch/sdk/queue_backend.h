// The `queue` plugin kind: one object that is a Queue (tasks, claims,
// leases), DeadLetters and SharedState at once, the way a stream filter is
// composed of a decoder and an encoder half. Each half is a small contract
// of its own; the plugin's create() returns a QueueBackend, and the host
// uses each half where it needs only that half. (They share one vtable
// layout: a new virtual in any half is a major change, abi.h rule 3; optional
// additions go through extension().)
//
//   class MyQueue final : public scanorch::sdk::QueueBackend {
//   public:
//       using interface_type = scanorch::sdk::QueueBackend;
//       ...every pure virtual of queue.h, dead_letters.h and shared_state.h...
//   };
#pragma once

#include <string_view>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/dead_letters.h"
#include "scanorch/sdk/queue.h"
#include "scanorch/sdk/shared_state.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE QueueBackend : public Queue, public DeadLetters, public SharedState {
public:
    static constexpr scanorch_plugin_kind kind = SCANORCH_KIND_QUEUE;
    ~QueueBackend() override = default;

    /// Optional interfaces a backend offers beyond the three halves, by id
    /// (extensions.h: process-local queues, shared counters, pool snapshots);
    /// nullptr when not offered. The pointer lives as long as the backend.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk

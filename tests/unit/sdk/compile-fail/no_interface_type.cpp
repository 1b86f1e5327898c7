// Must not compile: the class does not say which kind it is.
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/router.h"
class NoKind final : public scanorch::sdk::Router {};
SCANORCH_PLUGIN(NoKind)

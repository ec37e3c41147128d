// The HTTP status each stable error code is answered with
// (docs/reference/error_codes.md). Defined in routes.cpp; declared here so a
// test can check the mapping without a running server.
#pragma once

#include "common/error.h"

namespace engram::server {

int status_for(ErrorCode code);

}  // namespace engram::server

// See ../README.md: c10d's ProcessGroupGloo.hpp includes this; it uses nothing declared here.
#pragma once
#include "gloo/context.h"

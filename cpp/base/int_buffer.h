// IntBuffer (int32 labels) is the int32 instance of the one growable-array template.
#pragma once

#include "base/buffer.h"

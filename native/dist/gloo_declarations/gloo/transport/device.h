// See ../../README.md: held by std::shared_ptr / std::unique_ptr only.
#pragma once

namespace gloo {
namespace transport {
class Device;
class UnboundBuffer;
}  // namespace transport
}  // namespace gloo

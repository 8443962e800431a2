#pragma once
// Blocking framed JSON on raw fds (the loader is single-threaded; the parent owns deadlines).

#include <nlohmann/json.hpp>

#include <optional>

namespace regscope::loader {

// Reads one frame; nullopt on EOF, a bad length or bad JSON (the caller exits).
std::optional<nlohmann::json> readFrame(int fd);
// Writes one frame; false when the parent is gone.
bool writeFrame(int fd, const nlohmann::json& message);

} // namespace regscope::loader

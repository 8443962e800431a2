#pragma once
// The loader's vocabulary, shared by regscope-loader (std-only: it includes this), the app's
// LoaderClient, PluginVerdict and the tests: the stages of a load and the error codes of a
// verdict. On the wire and in JSON they travel as the names below.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace regscope::loader {

enum class Stage : std::uint8_t {
    Spawn,     // the app is starting the loader
    Handshake, // waiting for its first line
    Verify,    // pin the file, read its facts, check signature and ELF
    Open,      // dlopen: the plugin's static initialisers run
    Resolve,   // the entry point and its descriptor
    Register,  // the plugin's init()
    Ready,
    Invoke, // a process() call
    Unload, // dlclose and exit: the plugin's destructors run
    Probe,  // an executable plugin (go-plugin) started for its handshake
};
inline constexpr std::array<std::string_view, 10> kStageNames = {
    "spawn",    "handshake", "verify", "open",   "resolve",
    "register", "ready",     "invoke", "unload", "probe"};
// The loading stages in order, as the loader reports them.
inline constexpr std::array<Stage, 5> kLoadStages = {Stage::Verify, Stage::Open, Stage::Resolve,
                                                     Stage::Register, Stage::Ready};

enum class LoaderError : std::uint8_t {
    None,
    // refused by the loader
    BadRequest,
    SandboxFailed,
    NotFound,
    Unreadable,
    NotRegular,
    WorldWritable,
    WorldWritableDir,
    TooLarge,
    Unsigned,
    BadSignature,
    NotElf,
    NotSharedObject,
    DlopenFailed,
    NoDescriptor,
    WrongAbi,
    InitFailed,
    // judged by the app
    SpawnFailed,
    Deadline,
    HandshakeGarbage,
    HandshakeVersion,
    ProtocolError,
    Killed,
    Signal,
    Exited,
    ExitedBeforeHandshake,
    NeedsCookie,      // a go-plugin binary without its host's magic cookie
    HandshakeRefused, // a go-plugin that refused the cookie or the protocol version
};
inline constexpr std::array<std::string_view, 28> kLoaderErrorNames = {
    "",
    "bad_request",
    "sandbox_failed",
    "not_found",
    "unreadable",
    "not_regular",
    "world_writable",
    "world_writable_dir",
    "too_large",
    "unsigned",
    "bad_signature",
    "not_elf",
    "not_shared_object",
    "dlopen_failed",
    "no_descriptor",
    "wrong_abi",
    "init_failed",
    "spawn_failed",
    "deadline",
    "handshake_garbage",
    "handshake_version",
    "protocol_error",
    "killed",
    "signal",
    "exited",
    "exited_before_handshake",
    "needs_cookie",
    "handshake_refused",
};

constexpr std::string_view codeName(Stage stage) {
    return kStageNames[static_cast<std::size_t>(stage)];
}
constexpr std::string_view codeName(LoaderError error) {
    return kLoaderErrorNames[static_cast<std::size_t>(error)];
}
constexpr std::optional<Stage> stageFromString(std::string_view name) {
    for (std::size_t i = 0; i < kStageNames.size(); ++i)
        if (kStageNames[i] == name)
            return static_cast<Stage>(i);
    return std::nullopt;
}
constexpr std::optional<LoaderError> loaderErrorFromString(std::string_view name) {
    for (std::size_t i = 0; i < kLoaderErrorNames.size(); ++i)
        if (kLoaderErrorNames[i] == name)
            return static_cast<LoaderError>(i);
    return std::nullopt;
}

} // namespace regscope::loader

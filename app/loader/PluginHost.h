#pragma once
// Loads one plugin through the stages verify → open → resolve → register → ready, reporting
// each as a frame, and runs invoke requests against what it registered. Verify sends the
// file's facts (connectors/loader/elf) as their own frame before any plugin code runs, so a
// crash in open cannot lose them.

#include "app/loader/GoPluginProbe.h"
#include "app/loader/Sandbox.h"
#include "models/LoaderCodes.h"
#include "models/registry/Registry.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

struct regscope_impl;
struct regscope_plugin_descriptor;

namespace regscope::loader {

struct LoadRequest {
    std::string path;
    std::vector<std::array<std::uint8_t, 32>> trustedKeys;
    bool requireSignature = false;
    std::set<std::string> knownNames; // names already in the attached registry
    Limits limits;
    bool sandbox = true;           // false only for the in-process benchmark baseline
    bool pauseAfterVerify = false; // tests: swap the file between verify and open
    // go-plugin binaries: the host's magic cookie and app protocol version (0: any).
    std::string cookieKey, cookieValue;
    int expectedProtocol = 0;
    int probeTimeoutMs = 5000;
};

struct Registration {
    std::string kind, name, version, description;
    int (*process)(const std::uint8_t*, size_t, int (*)(void*, const std::uint8_t*, size_t),
                   void*) = nullptr;
    bool collision = false;
    std::string rejected; // the registry's error code when it refused the registration
};

// What the loader's registry holds per registration: the plugin's process() (may be null).
struct PluginProcess {
    int (*process)(const std::uint8_t*, size_t, int (*)(void*, const std::uint8_t*, size_t),
                   void*) = nullptr;
};

class PluginHost {
public:
    using Send = std::function<bool(const nlohmann::json&)>;
    using WaitResume = std::function<bool()>;

    PluginHost(Send send, WaitResume waitResume);

    // Runs every stage; sends stage frames and one report. False: refused (report sent).
    bool load(const LoadRequest& request);
    nlohmann::json invoke(const nlohmann::json& request);

    // The host table calls back into these (C callbacks, see regscope_plugin.h).
    int registerImpl(const regscope_impl& impl);
    void log(const char* message);

private:
    // One function per stage; each returns false after sending the refusal.
    bool verifyStage(int& fd, std::string& fdPath);
    bool checkSignature(const std::vector<std::byte>& bytes);
    bool openStage(const std::string& fdPath);
    bool resolveStage(const regscope_plugin_descriptor*& descriptor);
    bool registerStage(const regscope_plugin_descriptor* descriptor);
    bool probeStage(int fd); // a go-plugin binary: started, not loaded
    bool refuse(Stage stage, LoaderError code, const std::string& message);
    void beginStage(Stage stage);
    void endStage(Stage stage, bool ok, LoaderError code = LoaderError::None,
                  const std::string& message = {});
    nlohmann::json baseReport() const;

    Send m_send;
    WaitResume m_waitResume;
    const LoadRequest* m_request = nullptr;
    std::vector<Registration> m_registrations;    // every attempt, for the report
    registry::Registry<PluginProcess> m_registry; // what landed: invoke looks up here
    nlohmann::json m_stages = nlohmann::json::array();
    nlohmann::json m_file = nlohmann::json::object();
    nlohmann::json m_plugin; // null until the descriptor is read
    std::string m_signature = "not checked";
    int m_signatureKey = -1;
    bool m_hasEntry = false;
    bool m_goPlugin = false;
    std::string m_cookieKey, m_cookieValue, m_cookieSource;
    double m_stageStartMs = 0;
    double m_loadStartMs = 0;
    void* m_handle = nullptr;
};

double monotonicMs();

} // namespace regscope::loader

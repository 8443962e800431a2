#pragma once
// The seed article's Registrator pattern as a supervisor: start the service, keep its
// registration alive while it runs, take it down when the service ends or we are told to stop.

#include "app/registrator/RegistrationBackend.h"

#include <chrono>
#include <string>
#include <vector>

namespace regscope::registrator {

struct SupervisorOptions {
    std::vector<std::string> command; // argv of the service
    std::chrono::milliseconds retryMin{500};
    std::chrono::milliseconds retryMax{30'000};
    std::chrono::milliseconds callTimeout{5'000};
    std::chrono::milliseconds grace{10'000}; // SIGTERM → SIGKILL for the service
};

class Registrator {
public:
    Registrator(RegistrationBackend& backend, SupervisorOptions options);

    // Runs until the service exits; returns its exit status (128 + signal if killed, 127 if
    // it could not be started). Installs SIGTERM/SIGINT/SIGCHLD handlers.
    int run();

private:
    RegistrationBackend& m_backend;
    SupervisorOptions m_options;
};

} // namespace regscope::registrator

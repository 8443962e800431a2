#include "app/discoveryd/ServerMetrics.h"

#include <random>
#include <sstream>

namespace regscope::discoveryd {

namespace {

std::string randomHex(std::size_t digits) {
    std::random_device rd;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    while (out.size() < digits) {
        auto word = rd();
        for (int i = 0; i < 8 && out.size() < digits; ++i, word >>= 4)
            out += kHex[word & 0xF];
    }
    return out;
}

std::string prometheusLabel(const std::string& v) {
    std::string out;
    for (const char c : v) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

double seconds(discovery::Duration d) {
    return static_cast<double>(d.count()) / 1e9;
}

void metric(std::ostringstream& out, const char* name, const char* type, const char* help,
            double value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
}

} // namespace

ServerMetrics::ServerMetrics()
    : m_startUnix(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                      .count())
    , m_instanceId(randomHex(16)) {}

std::string ServerMetrics::prometheus(const discovery::RegistryStats& s,
                                      const discovery::DiscoveryConfig& c) const {
    std::ostringstream out;
    out.precision(15);
    metric(out, "discovery_instances", "gauge", "Registered instances.",
           static_cast<double>(s.instances));
    metric(out, "discovery_apps", "gauge", "Known (env, appid) pairs.",
           static_cast<double>(s.apps));
    metric(out, "discovery_instances_expired", "gauge",
           "Instances not renewed for longer than the eviction threshold.",
           static_cast<double>(s.instancesExpired));
    metric(out, "discovery_renews_last_window", "gauge",
           "Renews counted in the last eviction window (renews last minute by default).",
           static_cast<double>(s.renewsLastWindow));
    metric(out, "discovery_renews_this_window", "gauge", "Renews counted so far in this window.",
           static_cast<double>(s.renewsThisWindow));
    metric(out, "discovery_expected_renews_per_window", "gauge",
           "Renews expected per window (2 per instance by default).",
           static_cast<double>(s.expectedRenewsPerWindow));
    metric(out, "discovery_renew_threshold", "gauge",
           "Self-protection threshold: floor(expected x percent).",
           static_cast<double>(s.threshold));
    metric(out, "discovery_self_protection", "gauge",
           "1 while self-protection is on (renews last window below threshold).",
           s.selfProtection ? 1 : 0);
    metric(out, "discovery_evictions_total", "counter", "Instances evicted.",
           static_cast<double>(s.evictions));
    metric(out, "discovery_eviction_passes_total", "counter", "Eviction passes run.",
           static_cast<double>(s.evictionPasses));
    metric(out, "discovery_registers_total", "counter", "Successful registers.",
           static_cast<double>(s.registers));
    metric(out, "discovery_renews_total", "counter", "Successful renews.",
           static_cast<double>(s.renews));
    metric(out, "discovery_cancels_total", "counter", "Successful cancels.",
           static_cast<double>(s.cancels));
    metric(out, "discovery_parked_polls", "gauge", "Long-polls parked now.",
           static_cast<double>(s.parkedPolls));
    metric(out, "discovery_connections_total", "counter", "TCP connections accepted.",
           static_cast<double>(m_connections));
    metric(out, "discovery_connections_open", "gauge", "TCP connections open now.",
           static_cast<double>(m_transport.open));
    metric(out, "discovery_connections_refused_total", "counter",
           "TCP connections closed at once (connection cap, nothing to shed).",
           static_cast<double>(m_refused));
    metric(out, "discovery_connections_shed_total", "counter",
           "Connections without a complete request closed to make room (cap or descriptors).",
           static_cast<double>(m_transport.shed));
    metric(out, "discovery_accept_errors_total", "counter",
           "accept() failures (EMFILE/ENFILE...), each followed by a back-off.",
           static_cast<double>(m_transport.acceptErrors));
    metric(out, "discovery_header_timeouts_total", "counter",
           "Connections closed: request not complete within --header-timeout.",
           static_cast<double>(m_transport.headerTimeouts));
    metric(out, "discovery_write_timeouts_total", "counter",
           "Connections closed: reply made no progress within --write-timeout.",
           static_cast<double>(m_transport.writeTimeouts));
    metric(out, "discovery_write_refused_total", "counter",
           "Replies refused with HTTP 503: a write-buffer bound was reached.",
           static_cast<double>(m_transport.writeRefused));
    metric(out, "discovery_bad_requests_total", "counter", "Unparsable HTTP requests answered 400.",
           static_cast<double>(m_transport.badRequests));
    metric(out, "discovery_write_buffer_bytes", "gauge",
           "Reply bytes held for unfinished writes (a shared reply counts once).",
           static_cast<double>(m_transport.writeBufferBytes));
    metric(out, "discovery_server_start_time_seconds", "gauge",
           "Unix time this server process started (changes on a restart).", m_startUnix);
    out << "# HELP discovery_server_info This server process: a random id chosen at start, and "
           "the version.\n# TYPE discovery_server_info gauge\n"
        << "discovery_server_info{instance_id=\"" << m_instanceId << "\",version=\""
        << prometheusLabel(REGSCOPE_VERSION_STRING) << "\"} 1\n";
    metric(out, "discovery_last_eviction_pass_timestamp_seconds", "gauge",
           "Unix time of the last eviction pass (0: none yet).",
           static_cast<double>(s.lastEvictionPassNs) / 1e9);
    metric(out, "discovery_next_eviction_pass_timestamp_seconds", "gauge",
           "Unix time of the next eviction pass.", static_cast<double>(s.nextEvictionPassNs) / 1e9);
    metric(out, "discovery_renew_interval_seconds", "gauge", "Configured client renew interval.",
           seconds(c.renewInterval));
    metric(out, "discovery_evict_interval_seconds", "gauge", "Configured eviction pass period.",
           seconds(c.evictInterval));
    metric(out, "discovery_evict_threshold_seconds", "gauge",
           "Configured age after which an instance is evicted.", seconds(c.evictThreshold));
    metric(out, "discovery_evict_ceiling_seconds", "gauge",
           "Configured age after which an instance is evicted even under self-protection.",
           seconds(c.evictCeiling));
    metric(out, "discovery_poll_timeout_seconds", "gauge", "Configured long-poll wait.",
           seconds(c.pollTimeout));
    metric(out, "discovery_percent_threshold", "gauge", "Configured self-protection fraction.",
           c.percentThreshold);
    metric(out, "discovery_uptime_seconds", "gauge", "Seconds since start.",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count());
    out << "# HELP discovery_requests_total HTTP requests by endpoint and reply code.\n"
           "# TYPE discovery_requests_total counter\n";
    for (const auto& [k, n] : m_requests)
        out << "discovery_requests_total{endpoint=\"" << k.first << "\",code=\"" << k.second
            << "\"} " << n << '\n';
    return out.str();
}

nlohmann::json ServerMetrics::status(const discovery::RegistryStats& s,
                                     const discovery::DiscoveryConfig& c) const {
    nlohmann::json requests = nlohmann::json::object();
    for (const auto& [k, n] : m_requests)
        requests[k.first][std::to_string(k.second)] = n;
    return nlohmann::json{
        {"now", s.nowNs},
        {"apps", s.apps},
        {"instances", s.instances},
        {"instances_expired", s.instancesExpired},
        {"renews_last_window", s.renewsLastWindow},
        {"renews_this_window", s.renewsThisWindow},
        {"expected_renews_per_window", s.expectedRenewsPerWindow},
        {"threshold", s.threshold},
        {"self_protection", s.selfProtection},
        {"registers", s.registers},
        {"renews", s.renews},
        {"cancels", s.cancels},
        {"evictions", s.evictions},
        {"eviction_passes", s.evictionPasses},
        {"last_eviction_pass", s.lastEvictionPassNs},
        {"next_eviction_pass", s.nextEvictionPassNs},
        {"parked_polls", s.parkedPolls},
        {"start_time", m_startUnix},
        {"instance_id", m_instanceId},
        {"version", REGSCOPE_VERSION_STRING},
        {"connections", m_transport.open},
        {"connections_total", m_connections},
        {"connections_refused", m_refused},
        {"connections_shed", m_transport.shed},
        {"accept_errors", m_transport.acceptErrors},
        {"header_timeouts", m_transport.headerTimeouts},
        {"write_timeouts", m_transport.writeTimeouts},
        {"write_refused", m_transport.writeRefused},
        {"bad_requests", m_transport.badRequests},
        {"write_buffer_bytes", m_transport.writeBufferBytes},
        {"requests", std::move(requests)},
        {"config",
         {{"renew_interval_s", seconds(c.renewInterval)},
          {"evict_interval_s", seconds(c.evictInterval)},
          {"evict_threshold_s", seconds(c.evictThreshold)},
          {"evict_ceiling_s", seconds(c.evictCeiling)},
          {"reset_expected_interval_s", seconds(c.resetExpectedInterval)},
          {"poll_timeout_s", seconds(c.pollTimeout)},
          {"percent_threshold", c.percentThreshold},
          {"max_instances", c.maxInstances},
          {"max_instances_per_app", c.maxInstancesPerApp},
          {"zone", c.zone}}},
    };
}

} // namespace regscope::discoveryd

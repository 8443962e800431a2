#include "models/registry/Metrics.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace regscope::registry {
namespace {

std::string EscapeLabel(const std::string& v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string Num(double v) {
    if (std::isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

void Header(std::string& out, const char* name, const char* help, const char* type) {
    out += "# HELP regscope_registry_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE regscope_registry_";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void Sample(std::string& out, const char* name, const std::string& labels, std::uint64_t v) {
    out += "regscope_registry_";
    out += name;
    if (!labels.empty())
        out += '{' + labels + '}';
    out += ' ' + std::to_string(v) + '\n';
}

} // namespace

double LatencyHistogram::Quantile(double q) const {
    if (count == 0)
        return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        seen += counts[i];
        if (seen >= std::max<std::uint64_t>(rank, 1))
            return i < boundsSeconds.size() ? boundsSeconds[i]
                                            : std::numeric_limits<double>::infinity();
    }
    return std::numeric_limits<double>::infinity();
}

std::string MetricsSnapshot::ToPrometheus() const {
    std::string out;
    Header(out, "entries", "Registrations in the current snapshot, all tenants.", "gauge");
    Sample(out, "entries", {}, entries);
    Header(out, "aliases", "Aliases in the current snapshot, all tenants.", "gauge");
    Sample(out, "aliases", {}, aliases);

    Header(out, "lookup_total", "Lookups by outcome.", "counter");
    Sample(out, "lookup_total", "outcome=\"hit\"", lookupHit);
    Sample(out, "lookup_total", "outcome=\"miss\"", lookupMiss);
    Sample(out, "lookup_total", "outcome=\"error\"", lookupError);

    Header(out, "register_total", "Register calls by outcome.", "counter");
    for (const auto& [outcome, n] : registerTotal)
        Sample(out, "register_total", "outcome=\"" + EscapeLabel(outcome) + '"', n);

    Header(out, "deprecated_lookup_total", "Lookups through an alias or of a deprecated entry.",
           "counter");
    for (const auto& [name, n] : deprecatedLookupTotal)
        Sample(out, "deprecated_lookup_total", "name=\"" + EscapeLabel(name) + '"', n);

    Header(out, "lookup_latency_seconds", "Lookup latency (sampled lookups).", "histogram");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < latency.counts.size(); ++i) {
        cumulative += latency.counts[i];
        const std::string le =
            i < latency.boundsSeconds.size() ? Num(latency.boundsSeconds[i]) : "+Inf";
        Sample(out, "lookup_latency_seconds_bucket", "le=\"" + le + '"', cumulative);
    }
    out += "regscope_registry_lookup_latency_seconds_sum " + Num(latency.sumSeconds) + '\n';
    Sample(out, "lookup_latency_seconds_count", {}, latency.count);

    Header(out, "lookup_hits_by_name_total", "Lookup hits per registered name.", "counter");
    for (const auto& nc : hitsByName)
        Sample(out, "lookup_hits_by_name_total", "name=\"" + EscapeLabel(nc.name) + '"', nc.count);
    Header(out, "lookup_misses_by_name_total",
           "Lookup misses of the most-missed names (per-thread space-saving top-K, estimates).",
           "counter");
    for (const auto& nc : topMisses)
        Sample(out, "lookup_misses_by_name_total", "name=\"" + EscapeLabel(nc.name) + '"',
               nc.count);
    return out;
}

} // namespace regscope::registry

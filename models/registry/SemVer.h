#pragma once
// Semantic versions (semver.org 2.0) and npm-style version constraints, as a small unit.
//
// Constraint grammar (a subset of node-semver, the one registries use):
//   "*", "" or "x"            any version
//   "1.2.3", "=1.2.3"         exactly that version
//   "1.2", "=1.2", "1.2.x"    partial: any 1.2.*
//   ">=1.2", ">1.2", "<=1.2", "<2", "<2.0.0"   comparators; a partial upper bound is
//                             widened the npm way (">1.2" means ">=1.3.0", "<=1.2" "<1.3.0")
//   "^1.2.3"                  compatible: >=1.2.3 <2.0.0 (^0.2.3: <0.3.0, ^0.0.3: <0.0.4)
//   "^2.0", "^2"              >=2.0.0 <3.0.0
//   "~1.2.3", "~1.2"          patch-level: >=1.2.3 <1.3.0; "~1" means >=1.0.0 <2.0.0
//   ">=1.2 <2"                space-separated comparators must all hold (a range)
//   "^1 || ^3"                alternatives
// Pre-release versions (1.2.3-beta) only satisfy a comparator set if one of its comparators
// names a pre-release on the same major.minor.patch (npm's rule), so "^1.0" never picks a beta.

#include "models/registry/Error.h"

#include <compare>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace regscope::registry {

struct Version {
    std::uint64_t major = 0;
    std::uint64_t minor = 0;
    std::uint64_t patch = 0;
    std::string prerelease{}; // dot-separated identifiers, without the '-'; empty: a release
    // Build metadata (+...) is accepted by Parse and ignored, as semver says.

    static std::expected<Version, Error> Parse(std::string_view text);
    std::string ToString() const;
    bool IsPrerelease() const { return !prerelease.empty(); }

    friend std::strong_ordering operator<=>(const Version& a, const Version& b);
    friend bool operator==(const Version& a, const Version& b) {
        return (a <=> b) == std::strong_ordering::equal;
    }
};

class Constraint {
public:
    // Any version (the same as Parse("*")).
    Constraint();
    static std::expected<Constraint, Error> Parse(std::string_view text);

    bool Matches(const Version& v) const;
    bool MatchesAny() const { return any_; }
    const std::string& Text() const { return text_; }

private:
    enum class Op : std::uint8_t { Lt, Le, Gt, Ge, Eq };
    struct Comparator {
        Op op;
        Version version;
    };
    using ComparatorSet = std::vector<Comparator>; // all must hold

    static bool SetMatches(const ComparatorSet& set, const Version& v);

    std::vector<ComparatorSet> alternatives_{}; // any may hold
    std::string text_{};
    bool any_ = true;
};

} // namespace regscope::registry

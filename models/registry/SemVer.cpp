#include "models/registry/SemVer.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace regscope::registry {
namespace {

bool IsDigits(std::string_view s) {
    return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

// A numeric identifier: digits, no leading zero (semver 2.0 item 2).
std::optional<std::uint64_t> ParseNumber(std::string_view s) {
    if (!IsDigits(s) || (s.size() > 1 && s.front() == '0'))
        return std::nullopt;
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || ptr != s.data() + s.size())
        return std::nullopt;
    return value;
}

bool ValidIdentifiers(std::string_view s, bool numericNoLeadingZero) {
    if (s.empty())
        return false;
    std::size_t start = 0;
    while (true) {
        const auto dot = s.find('.', start);
        const auto ident = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (ident.empty())
            return false;
        for (char c : ident)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '-'))
                return false;
        if (numericNoLeadingZero && IsDigits(ident) && ident.size() > 1 && ident.front() == '0')
            return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

std::strong_ordering ComparePrerelease(std::string_view a, std::string_view b) {
    if (a.empty() || b.empty()) // a release ranks above any pre-release of it
        return b.size() <=> a.size() == std::strong_ordering::equal
                   ? std::strong_ordering::equal
                   : (a.empty() ? std::strong_ordering::greater : std::strong_ordering::less);
    while (true) {
        const auto da = a.find('.');
        const auto db = b.find('.');
        const auto ia = a.substr(0, da);
        const auto ib = b.substr(0, db);
        const bool na = IsDigits(ia);
        const bool nb = IsDigits(ib);
        std::strong_ordering c = std::strong_ordering::equal;
        if (na && nb)
            c = ia.size() != ib.size() ? ia.size() <=> ib.size() : ia.compare(ib) <=> 0;
        else if (na != nb)
            c = na ? std::strong_ordering::less : std::strong_ordering::greater;
        else
            c = ia.compare(ib) <=> 0;
        if (c != std::strong_ordering::equal)
            return c;
        if (da == std::string_view::npos || db == std::string_view::npos)
            return (da == std::string_view::npos) == (db == std::string_view::npos)
                       ? std::strong_ordering::equal
                       : (da == std::string_view::npos ? std::strong_ordering::less
                                                       : std::strong_ordering::greater);
        a.remove_prefix(da + 1);
        b.remove_prefix(db + 1);
    }
}

Error BadConstraint(std::string_view text, std::string_view why) {
    return Error{ErrorCode::InvalidConstraint,
                 "invalid version constraint '" + std::string(text) + "': " + std::string(why)};
}

bool IsWildcard(std::string_view s) {
    return s == "x" || s == "X" || s == "*";
}

// A possibly partial version: "1", "1.2", "1.2.3-pre", "1.x", "*".
struct Partial {
    std::optional<std::uint64_t> major, minor, patch;
    std::string prerelease;
    int Parts() const { return major ? (minor ? (patch ? 3 : 2) : 1) : 0; }
    Version Floor() const {
        return Version{major.value_or(0), minor.value_or(0), patch.value_or(0), prerelease};
    }
};

std::optional<Partial> ParsePartial(std::string_view s) {
    Partial p;
    if (s.empty() || IsWildcard(s))
        return p;
    if (s.front() == 'v')
        s.remove_prefix(1);
    if (const auto plus = s.find('+'); plus != std::string_view::npos)
        s = s.substr(0, plus);
    std::string_view pre;
    if (const auto dash = s.find('-'); dash != std::string_view::npos) {
        pre = s.substr(dash + 1);
        s = s.substr(0, dash);
        if (!ValidIdentifiers(pre, true))
            return std::nullopt;
    }
    std::optional<std::uint64_t>* parts[] = {&p.major, &p.minor, &p.patch};
    int n = 0;
    bool wild = false;
    std::size_t start = 0;
    while (true) {
        if (n == 3)
            return std::nullopt;
        const auto dot = s.find('.', start);
        const auto piece = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (IsWildcard(piece)) {
            wild = true;
        } else {
            if (wild) // "1.x.3" is not a thing
                return std::nullopt;
            auto value = ParseNumber(piece);
            if (!value)
                return std::nullopt;
            *parts[n] = *value;
        }
        ++n;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    if (!pre.empty()) {
        if (p.Parts() != 3)
            return std::nullopt;
        p.prerelease = std::string(pre);
    }
    return p;
}

} // namespace

std::expected<Version, Error> Version::Parse(std::string_view text) {
    auto bad = [&] {
        return std::unexpected(Error{ErrorCode::InvalidVersion,
                                     "invalid semantic version '" + std::string(text) + "'"});
    };
    std::string_view s = text;
    if (const auto plus = s.find('+'); plus != std::string_view::npos) {
        if (!ValidIdentifiers(s.substr(plus + 1), false))
            return bad();
        s = s.substr(0, plus);
    }
    Version v;
    if (const auto dash = s.find('-'); dash != std::string_view::npos) {
        const auto pre = s.substr(dash + 1);
        if (!ValidIdentifiers(pre, true))
            return bad();
        v.prerelease = std::string(pre);
        s = s.substr(0, dash);
    }
    const auto d1 = s.find('.');
    const auto d2 = d1 == std::string_view::npos ? d1 : s.find('.', d1 + 1);
    if (d2 == std::string_view::npos)
        return bad();
    auto ma = ParseNumber(s.substr(0, d1));
    auto mi = ParseNumber(s.substr(d1 + 1, d2 - d1 - 1));
    auto pa = ParseNumber(s.substr(d2 + 1));
    if (!ma || !mi || !pa)
        return bad();
    v.major = *ma;
    v.minor = *mi;
    v.patch = *pa;
    return v;
}

std::string Version::ToString() const {
    std::string s =
        std::to_string(major) + '.' + std::to_string(minor) + '.' + std::to_string(patch);
    if (!prerelease.empty())
        s += '-' + prerelease;
    return s;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
    if (auto c = a.major <=> b.major; c != 0)
        return c;
    if (auto c = a.minor <=> b.minor; c != 0)
        return c;
    if (auto c = a.patch <=> b.patch; c != 0)
        return c;
    return ComparePrerelease(a.prerelease, b.prerelease);
}

Constraint::Constraint()
    : text_("*") {}

std::expected<Constraint, Error> Constraint::Parse(std::string_view text) {
    Constraint c;
    c.text_ = std::string(text);
    c.any_ = false;
    std::string_view rest = text;
    while (true) {
        const auto bar = rest.find("||");
        const auto alt = rest.substr(0, bar);
        // Tokenise on whitespace, gluing a bare operator to the version after it (">= 1.2").
        std::vector<std::string> tokens;
        std::string pending;
        std::size_t i = 0;
        while (i < alt.size()) {
            while (i < alt.size() && (alt[i] == ' ' || alt[i] == '\t'))
                ++i;
            const auto start = i;
            while (i < alt.size() && alt[i] != ' ' && alt[i] != '\t')
                ++i;
            if (start == i)
                break;
            auto tok = std::string(alt.substr(start, i - start));
            if (tok.find_first_not_of("<>=^~") == std::string::npos) {
                pending += tok;
                continue;
            }
            tokens.push_back(pending + tok);
            pending.clear();
        }
        if (!pending.empty())
            return std::unexpected(BadConstraint(text, "operator without a version"));
        ComparatorSet set;
        bool anyInSet = tokens.empty();
        for (const auto& tok : tokens) {
            std::string_view t = tok;
            std::string op;
            if (t.starts_with(">=") || t.starts_with("<="))
                op = std::string(t.substr(0, 2));
            else if (!t.empty() &&
                     (t[0] == '>' || t[0] == '<' || t[0] == '=' || t[0] == '^' || t[0] == '~'))
                op = std::string(t.substr(0, 1));
            t.remove_prefix(op.size());
            auto p = ParsePartial(t);
            if (!p)
                return std::unexpected(BadConstraint(text, "bad version '" + std::string(t) + "'"));
            const int parts = p->Parts();
            const Version lo = p->Floor();
            auto bump = [&](int which) { // the next version at that precision
                Version v{lo.major, lo.minor, lo.patch, {}};
                if (which == 0)
                    v = Version{lo.major + 1, 0, 0, {}};
                else if (which == 1)
                    v = Version{lo.major, lo.minor + 1, 0, {}};
                else
                    v = Version{lo.major, lo.minor, lo.patch + 1, {}};
                return v;
            };
            if (parts == 0) {
                if (op == "<" || op == ">")
                    return std::unexpected(BadConstraint(text, "nothing satisfies '" + tok + "'"));
                anyInSet = set.empty();
                continue; // "*", ">=*", "^*": no restriction
            }
            if (op.empty() || op == "=") {
                if (parts == 3) {
                    set.push_back({Op::Eq, lo});
                } else {
                    set.push_back({Op::Ge, lo});
                    set.push_back({Op::Lt, bump(parts - 1)});
                }
            } else if (op == ">=") {
                set.push_back({Op::Ge, lo});
            } else if (op == ">") {
                set.push_back(parts == 3 ? Comparator{Op::Gt, lo}
                                         : Comparator{Op::Ge, bump(parts - 1)});
            } else if (op == "<=") {
                set.push_back(parts == 3 ? Comparator{Op::Le, lo}
                                         : Comparator{Op::Lt, bump(parts - 1)});
            } else if (op == "<") {
                set.push_back({Op::Lt, lo});
            } else if (op == "~") {
                set.push_back({Op::Ge, lo});
                set.push_back({Op::Lt, bump(parts == 1 ? 0 : 1)});
            } else { // "^": the left-most non-zero part may not change
                set.push_back({Op::Ge, lo});
                int keep = 0;
                if (lo.major == 0 && parts >= 2)
                    keep = (lo.minor == 0 && parts == 3) ? 2 : 1;
                if (lo.major == 0 && parts >= 2 && lo.minor == 0 && parts == 2)
                    keep = 1; // ^0.0 -> <0.1.0
                set.push_back({Op::Lt, bump(keep)});
            }
            anyInSet = false;
        }
        if (anyInSet || set.empty())
            c.any_ = true;
        c.alternatives_.push_back(std::move(set));
        if (bar == std::string_view::npos)
            break;
        rest = rest.substr(bar + 2);
    }
    return c;
}

bool Constraint::SetMatches(const ComparatorSet& set, const Version& v) {
    for (const auto& cmp : set) {
        const auto order = v <=> cmp.version;
        bool ok = false;
        switch (cmp.op) {
        case Op::Lt:
            ok = order < 0;
            break;
        case Op::Le:
            ok = order <= 0;
            break;
        case Op::Gt:
            ok = order > 0;
            break;
        case Op::Ge:
            ok = order >= 0;
            break;
        case Op::Eq:
            ok = order == 0;
            break;
        }
        if (!ok)
            return false;
    }
    if (!v.IsPrerelease())
        return true;
    // npm: a pre-release only satisfies a set that names a pre-release of the same triple.
    for (const auto& cmp : set)
        if (cmp.version.IsPrerelease() && cmp.version.major == v.major &&
            cmp.version.minor == v.minor && cmp.version.patch == v.patch)
            return true;
    return false;
}

bool Constraint::Matches(const Version& v) const {
    if (any_)
        return !v.IsPrerelease();
    for (const auto& set : alternatives_)
        if (SetMatches(set, v))
            return true;
    return false;
}

} // namespace regscope::registry

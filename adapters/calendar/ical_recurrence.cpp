#include "adapters/calendar/ical_recurrence.h"

#include <libical/ical.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>

namespace nguon::calendar {
namespace {

using schedule::LocalDate;

Error bad_rule(const std::string& message) { return invalid("invalid_rrule", "rrule: " + message); }

constexpr std::array<std::string_view, 11> kAllowedParts = {
    "FREQ",    "INTERVAL",  "COUNT",    "UNTIL",    "BYDAY", "BYMONTHDAY",
    "BYMONTH", "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "WKST"};
constexpr std::array<std::string_view, 4> kAllowedFreqs = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"};

struct Part {
  std::string key;
  std::string value;
};

// Splits "K=V;K=V" and checks the parts this system accepts, with a message per mistake.
Result<std::vector<Part>> split_parts(std::string_view rrule) {
  std::vector<Part> parts;
  std::set<std::string> seen;
  while (!rrule.empty()) {
    const size_t semi = rrule.find(';');
    const std::string_view item = rrule.substr(0, semi);
    rrule = semi == std::string_view::npos ? std::string_view() : rrule.substr(semi + 1);
    const size_t eq = item.find('=');
    if (item.empty() || eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      return bad_rule("'" + std::string(item) + "' is not NAME=VALUE");
    }
    Part p{std::string(item.substr(0, eq)), std::string(item.substr(eq + 1))};
    if (p.key == "BYHOUR" || p.key == "BYMINUTE" || p.key == "BYSECOND") {
      return bad_rule(p.key + " is not allowed: the time of day is the programme's start_time");
    }
    if (std::find(kAllowedParts.begin(), kAllowedParts.end(), p.key) == kAllowedParts.end()) {
      return bad_rule("unknown part '" + p.key + "'");
    }
    if (!seen.insert(p.key).second) return bad_rule(p.key + " appears twice");
    parts.push_back(std::move(p));
  }
  return parts;
}

// RFC 5545 §3.3.10 limits which parts go with which FREQ; rules outside them are either
// meaningless or make libical search for centuries for a date that never comes.
Status check_rfc_combinations(const std::string& freq, const Part* byday, bool byweekno,
                              bool byyearday, bool bymonthday, bool bymonth) {
  if (byweekno && freq != "YEARLY") return bad_rule("BYWEEKNO needs FREQ=YEARLY");
  if (byyearday && freq != "YEARLY") return bad_rule("BYYEARDAY needs FREQ=YEARLY");
  if (bymonthday && freq == "WEEKLY") return bad_rule("BYMONTHDAY cannot be used with FREQ=WEEKLY");
  if (byday == nullptr) return {};
  // A numbered weekday ("1MO", "-1SU"): only within a month (±1..5) or a year (±1..53).
  std::string_view days = byday->value;
  while (!days.empty()) {
    const size_t comma = days.find(',');
    const std::string_view day = days.substr(0, comma);
    days = comma == std::string_view::npos ? std::string_view() : days.substr(comma + 1);
    const size_t digits_end = day.find_first_not_of("+-0123456789");
    if (digits_end == 0 || digits_end == std::string_view::npos) continue;
    int n = 0;
    for (char c : day.substr(0, digits_end)) {
      if (c >= '0' && c <= '9') n = std::min(n * 10 + (c - '0'), 1000);
    }
    // In a yearly rule restricted to months, the number counts within the month.
    const int limit = freq == "MONTHLY" || (freq == "YEARLY" && bymonth)
                          ? 5
                          : (freq == "YEARLY" && !byweekno ? 53 : 0);
    if (limit == 0) {
      return bad_rule("BYDAY=" + std::string(day) +
                      ": a numbered weekday needs FREQ=MONTHLY or FREQ=YEARLY without BYWEEKNO");
    }
    if (n < 1 || n > limit) {
      return bad_rule("BYDAY=" + std::string(day) + ": the number must be 1 to " +
                      std::to_string(limit) + " (or -1 to -" + std::to_string(limit) + ")");
    }
  }
  return {};
}

Status check_parts(const std::vector<Part>& parts) {
  auto find = [&](std::string_view key) -> const Part* {
    for (const Part& p : parts) {
      if (p.key == key) return &p;
    }
    return nullptr;
  };
  const Part* freq = find("FREQ");
  if (freq == nullptr) return bad_rule("FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)");
  if (std::find(kAllowedFreqs.begin(), kAllowedFreqs.end(), freq->value) == kAllowedFreqs.end()) {
    return bad_rule("FREQ=" + freq->value +
                    " is not allowed; use DAILY, WEEKLY, MONTHLY or YEARLY");
  }
  NGUON_TRY(check_rfc_combinations(freq->value, find("BYDAY"), find("BYWEEKNO") != nullptr,
                                   find("BYYEARDAY") != nullptr, find("BYMONTHDAY") != nullptr,
                                   find("BYMONTH") != nullptr));
  if (find("COUNT") != nullptr && find("UNTIL") != nullptr) {
    return bad_rule("COUNT and UNTIL cannot be used together");
  }
  if (const Part* until = find("UNTIL")) {
    const bool date =
        until->value.size() == 8 && std::all_of(until->value.begin(), until->value.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    if (!date || !schedule::parse_date(until->value.substr(0, 4) + "-" + until->value.substr(4, 2) +
                                       "-" + until->value.substr(6))) {
      return bad_rule("UNTIL=" + until->value + " must be a date YYYYMMDD (e.g. UNTIL=20270131)");
    }
  }
  return {};
}

// libical's verdict on a whole rule; errors come back as its ICAL_NO_RECURRENCE.
bool ical_accepts(const std::string& text) {
  icalerror_clear_errno();
  const icalrecurrencetype r = icalrecurrencetype_from_string(text.c_str());
  return r.freq != ICAL_NO_RECURRENCE && icalerrno == ICAL_NO_ERROR;
}

icaltimetype to_ical_date(LocalDate d) {
  icaltimetype t = icaltime_null_time();
  t.year = d.year;
  t.month = d.month;
  t.day = d.day;
  t.is_date = 1;
  return t;
}

// A daily rule over 1000 years stays below this; it guards against a rule libical cannot end.
constexpr int kMaxIterations = 400'000;

}  // namespace

Status IcalRecurrenceExpander::validate(std::string_view rrule) {
  std::lock_guard lock(mu_);
  return validate_locked(rrule);
}

Status IcalRecurrenceExpander::validate_locked(std::string_view rrule) {
  if (rrule.empty()) return {};  // a single occurrence
  if (rrule.size() > kMaxRruleLength) {
    return bad_rule("at most " + std::to_string(kMaxRruleLength) + " characters");
  }
  if (rrule.substr(0, 6) == "RRULE:") return bad_rule("write the rule without the 'RRULE:' prefix");
  auto parts = split_parts(rrule);
  if (!parts) return parts.error();
  NGUON_TRY(check_parts(parts.value()));
  if (ical_accepts(std::string(rrule))) return {};
  // Name the part libical refused: each part alone beside the rule's FREQ.
  std::string freq;
  for (const Part& p : parts.value()) {
    if (p.key == "FREQ") freq = "FREQ=" + p.value;
  }
  for (const Part& p : parts.value()) {
    if (p.key == "FREQ") continue;
    if (!ical_accepts(freq + ";" + p.key + "=" + p.value)) {
      return bad_rule(p.key + "=" + p.value + " is not valid");
    }
  }
  return bad_rule("not a valid RFC 5545 recurrence rule");
}

Result<std::vector<LocalDate>> IcalRecurrenceExpander::expand(const schedule::RecurrenceRule& rule,
                                                              LocalDate from, LocalDate to) {
  std::vector<LocalDate> out;
  if (rule.last && *rule.last < to) to = *rule.last;
  if (rule.first > from) from = rule.first;
  const std::set<LocalDate> skipped(rule.exdates.begin(), rule.exdates.end());
  if (from > to) return out;
  if (rule.rrule.empty()) {
    if (rule.first >= from && rule.first <= to && !skipped.contains(rule.first)) {
      out.push_back(rule.first);
    }
    return out;
  }
  std::lock_guard lock(mu_);
  NGUON_TRY(validate_locked(rule.rrule));
  icalerror_clear_errno();
  const icalrecurrencetype recur = icalrecurrencetype_from_string(rule.rrule.c_str());
  icalrecur_iterator* it = icalrecur_iterator_new(recur, to_ical_date(rule.first));
  if (it == nullptr) {
    return bad_rule("the rule never produces a date from " + schedule::format_date(rule.first));
  }
  std::optional<LocalDate> previous;
  for (int i = 0; i < kMaxIterations; ++i) {
    const icaltimetype t = icalrecur_iterator_next(it);
    if (icaltime_is_null_time(t)) break;
    const LocalDate d{t.year, t.month, t.day};
    if (d > to) break;
    if (previous && d <= *previous) continue;  // defensive: keep the output strictly ascending
    previous = d;
    if (d >= from && !skipped.contains(d)) out.push_back(d);
  }
  icalrecur_iterator_free(it);
  return out;
}

}  // namespace nguon::calendar

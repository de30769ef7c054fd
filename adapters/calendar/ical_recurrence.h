// RecurrenceExpander implemented with libical (icalrecurrencetype_from_string,
// icalrecur_iterator_*). libical keeps its error state in a global, so calls are serialised.
#pragma once

#include <mutex>

#include "core/schedule/recurrence.h"

namespace nguon::calendar {

class IcalRecurrenceExpander final : public schedule::RecurrenceExpander {
 public:
  Status validate(std::string_view rrule) override;
  Result<std::vector<schedule::LocalDate>> expand(const schedule::RecurrenceRule& rule,
                                                  schedule::LocalDate from,
                                                  schedule::LocalDate to) override;

  // Longest RRULE text accepted.
  static constexpr size_t kMaxRruleLength = 500;

 private:
  Status validate_locked(std::string_view rrule);
  std::mutex mu_;
};

}  // namespace nguon::calendar

// Builds the two-way capability of a server from its configuration (issue 5): the working-day
// calendar, the FeedbackDesk, the SMTP sender and the background jobs (the e-mail outbox and
// the deadline reminders / escalations).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "app/config.h"
#include "core/feedback/feedback_service.h"
#include "core/mail.h"
#include "core/ports.h"
#include "core/store.h"
#include "core/workdays/work_calendar.h"

namespace nguon::app {

// Delivers the outbox: sends due mails, marks them sent, or schedules a retry with a doubling
// back-off (capped at 6 h). A permanent refusal (the server rejects the address) is not retried.
// One pass per call; thread-compatible (the stack runs it on its job thread).
class OutboxSender {
 public:
  OutboxSender(Store& store, Clock& clock, MailSender& sender, const Config::Mail& cfg)
      : store_(store), clock_(clock), sender_(sender), cfg_(cfg) {}
  // Returns how many mails were sent.
  Result<int> run_once();

 private:
  Store& store_;
  Clock& clock_;
  MailSender& sender_;
  const Config::Mail& cfg_;
};

// "2026-12-31,2027-01-02" → dates; invalid("invalid_config") naming the bad entry.
Result<std::vector<workdays::CivilDate>> parse_date_list(std::string_view key, std::string_view s);

// Inserts the default categories (Open311 services) when there are none yet: the common kinds
// of feedback a commune receives, each with 2 + 20 working days. Idempotent.
Status seed_default_services(Store& store);

class FeedbackStack {
 public:
  static Result<std::unique_ptr<FeedbackStack>> make(const Config& cfg, Store& store, Clock& clock,
                                                     Crypto& crypto);
  ~FeedbackStack();
  FeedbackDesk& desk() { return *desk_; }
  const workdays::WorkCalendar& calendar() const { return *calendar_; }
  // Starts the job thread (outbox every mail.poll_seconds, deadlines every
  // feedback.deadline_check_seconds).
  void start();
  void stop();

 private:
  FeedbackStack() = default;
  void run();

  const Config* cfg_ = nullptr;
  Store* store_ = nullptr;
  Clock* clock_ = nullptr;
  std::unique_ptr<workdays::WorkCalendar> calendar_;
  std::unique_ptr<FeedbackDesk> desk_;
  std::unique_ptr<MailSender> mailer_;
  std::unique_ptr<OutboxSender> outbox_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace nguon::app

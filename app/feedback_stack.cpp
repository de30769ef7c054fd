#include "app/feedback_stack.h"

#include <algorithm>
#include <chrono>

#include "adapters/mail/smtp_sender.h"
#include "app/log.h"

namespace nguon::app {

namespace {

constexpr UnixTime kMaxBackoff = 6 * 3600;
constexpr UnixTime kNever = 100LL * 365 * 86400;

UnixTime backoff(const Config::Mail& cfg, int attempts) {
  UnixTime wait = cfg.retry_seconds;
  for (int i = 1; i < attempts && wait < kMaxBackoff; ++i) wait *= 2;
  return std::min(wait, kMaxBackoff);
}

}  // namespace

Result<int> OutboxSender::run_once() {
  std::vector<OutboxMail> due;
  const UnixTime now = clock_.now();
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(due, tx.due_outbox(now, cfg_.max_attempts, 50));
    return {};
  }));
  int sent = 0;
  for (const OutboxMail& m : due) {
    mail::Message msg;
    msg.from_address = cfg_.from_address;
    msg.from_name = cfg_.from_name;
    msg.to = m.to;
    msg.subject = m.subject;
    msg.body_text = m.body;
    Status s = sender_.send(msg);
    NGUON_TRY(store_.write([&](Tx& tx) -> Status {
      if (s) return tx.mark_outbox_sent(m.id, clock_.now());
      const bool permanent = s.error().kind == ErrorKind::kInvalid;
      const UnixTime next = clock_.now() + (permanent ? kNever : backoff(cfg_, m.attempts + 1));
      return tx.mark_outbox_failed(m.id, s.error().message, next);
    }));
    if (s) {
      ++sent;
      log::info("mail sent", {{"outbox_id", std::to_string(m.id)}});
    } else {
      log::warn("mail not sent", {{"outbox_id", std::to_string(m.id)},
                                  {"attempt", std::to_string(m.attempts + 1)},
                                  {"error", s.error().message}});
    }
  }
  return sent;
}

Result<std::vector<workdays::CivilDate>> parse_date_list(std::string_view key, std::string_view s) {
  std::vector<workdays::CivilDate> out;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    workdays::CivilDate d;
    const bool shaped = item.size() == 10 && item[4] == '-' && item[7] == '-' &&
                        std::all_of(item.begin(), item.end(),
                                    [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
    if (shaped) {
      d.year = std::stoi(std::string(item.substr(0, 4)));
      d.month = std::stoi(std::string(item.substr(5, 2)));
      d.day = std::stoi(std::string(item.substr(8, 2)));
    }
    if (!shaped || !workdays::valid_civil(d)) {
      return invalid("invalid_config",
                     std::string(key) + ": '" + std::string(item) + "' is not a YYYY-MM-DD date");
    }
    out.push_back(d);
  }
  return out;
}

Status seed_default_services(Store& store) {
  struct Seed {
    const char* code;
    const char* vi;
    const char* en;
    const char* group;
    const char* description;
    const char* attributes;
  };
  static const Seed kSeeds[] = {
      {"roads", "Giao thông, đường sá, chiếu sáng", "Roads, bridges and street lights", "Hạ tầng",
       "Đường hỏng, cầu cống, đèn đường, biển báo.", ""},
      {"environment", "Môi trường, rác thải, tiếng ồn", "Environment, waste and noise",
       "Môi trường", "Rác thải, nước thải, khói bụi, tiếng ồn.",
       R"([{"code":"kind","datatype":"singlevaluelist","required":true,"description":"Loại vấn đề","order":1,"values":[{"key":"waste","name":"Rác thải"},{"key":"water","name":"Nước thải"},{"key":"air","name":"Khói, bụi"},{"key":"noise","name":"Tiếng ồn"}]}])"},
      {"land", "Đất đai, xây dựng", "Land and construction", "Đất đai – Xây dựng",
       "Lấn chiếm, xây dựng trái phép, tranh chấp đất đai.", ""},
      {"public_order", "An ninh, trật tự", "Public order and safety", "An ninh",
       "Trộm cắp, tụ tập gây rối, an toàn giao thông.", ""},
      {"social_policy", "Chính sách xã hội, an sinh", "Social policy and welfare", "Xã hội",
       "Trợ cấp, hộ nghèo, người có công, bảo hiểm.", ""},
      {"health", "Y tế, dịch bệnh", "Health and epidemics", "Xã hội",
       "Dịch bệnh, vệ sinh an toàn thực phẩm, trạm y tế.", ""},
      {"education", "Giáo dục", "Education", "Xã hội", "Trường lớp, học phí, an toàn trường học.",
       ""},
      {"utilities", "Điện, nước sinh hoạt", "Electricity and water", "Hạ tầng",
       "Mất điện, mất nước, chất lượng nước.", ""},
      {"procedures", "Thủ tục hành chính", "Administrative procedures", "Hành chính",
       "Giải quyết hồ sơ chậm, thái độ phục vụ.", ""},
      {"broadcasting", "Truyền thanh cơ sở", "Grassroots broadcasting", "Thông tin",
       "Loa truyền thanh, bảng tin điện tử.",
       R"([{"code":"problem","datatype":"singlevaluelist","required":false,"description":"Vấn đề","order":1,"values":[{"key":"too_loud","name":"Loa quá to"},{"key":"inaudible","name":"Không nghe được"},{"key":"wrong_time","name":"Phát sai giờ"},{"key":"broken","name":"Loa hỏng"}]}])"},
      {"other", "Khác", "Other", "Khác", "Phản ánh, kiến nghị khác.", ""},
  };
  return store.write([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(auto existing, tx.list_feedback_services(true));
    if (!existing.empty()) return {};
    for (const Seed& s : kSeeds) {
      FeedbackService svc;
      svc.code = s.code;
      svc.name_vi = s.vi;
      svc.name_en = s.en;
      svc.group = s.group;
      svc.description = s.description;
      svc.attributes_json = s.attributes;
      NGUON_TRY(tx.upsert_feedback_service(svc));
    }
    return {};
  });
}

Result<std::unique_ptr<FeedbackStack>> FeedbackStack::make(const Config& cfg, Store& store,
                                                           Clock& clock, Crypto& crypto) {
  std::unique_ptr<FeedbackStack> s(new FeedbackStack());
  s->cfg_ = &cfg;
  s->store_ = &store;
  s->clock_ = &clock;
  workdays::HolidayRules rules;
  NGUON_TRY_ASSIGN(rules.extra_days_off,
                   parse_date_list("feedback.extra_days_off", cfg.feedback.extra_days_off));
  NGUON_TRY_ASSIGN(rules.extra_working_days,
                   parse_date_list("feedback.extra_working_days", cfg.feedback.extra_working_days));
  s->calendar_ = std::make_unique<workdays::WorkCalendar>(std::move(rules));
  FeedbackSettings settings;
  settings.moderate_first_time = cfg.feedback.moderate_first_time;
  settings.submissions_per_contact_per_day = cfg.feedback.submissions_per_contact_per_day;
  settings.reopen_days = cfg.feedback.reopen_days;
  settings.max_reopens = cfg.feedback.max_reopens;
  settings.remind_days_before = cfg.feedback.remind_days_before;
  settings.locate_max_km = cfg.feedback.locate_max_km;
  settings.fallback_unit = cfg.feedback.fallback_unit;
  settings.portal_base_url = cfg.server.public_url;
  s->desk_ = std::make_unique<FeedbackDesk>(store, clock, crypto, *s->calendar_, settings);
  NGUON_TRY(seed_default_services(store));
  if (!cfg.feedback.fallback_unit.empty()) {
    NGUON_TRY(store.read([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(auto unit, tx.find_unit(cfg.feedback.fallback_unit));
      if (!unit) {
        return invalid("invalid_config",
                       "feedback.fallback_unit: unknown unit '" + cfg.feedback.fallback_unit + "'");
      }
      return {};
    }));
  }
  if (cfg.mail.enabled) {
    if (cfg.mail.from_address.empty()) {
      return invalid("invalid_config", "mail.from_address: required when mail is enabled");
    }
    mail::SmtpConfig smtp;
    smtp.host = cfg.mail.host;
    smtp.port = cfg.mail.port;
    smtp.tls = cfg.mail.tls;
    smtp.username = cfg.mail.username;
    smtp.password = cfg.mail.password;
    smtp.from_address = cfg.mail.from_address;
    smtp.from_name = cfg.mail.from_name;
    NGUON_TRY(mail::validate(smtp));
    s->mailer_ = std::make_unique<mail::SmtpSender>(smtp, clock, crypto);
    s->outbox_ = std::make_unique<OutboxSender>(store, clock, *s->mailer_, cfg.mail);
  }
  return s;
}

FeedbackStack::~FeedbackStack() { stop(); }

void FeedbackStack::start() {
  if (worker_.joinable()) return;
  worker_ = std::thread([this] { run(); });
}

void FeedbackStack::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void FeedbackStack::run() {
  using std::chrono::seconds;
  using std::chrono::steady_clock;
  auto next_deadlines = steady_clock::now();
  auto next_mail = steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = steady_clock::now();
    if (outbox_ && now >= next_mail) {
      lock.unlock();
      if (auto r = outbox_->run_once(); !r)
        log::warn("outbox pass failed", {{"error", r.error().message}});
      lock.lock();
      next_mail = steady_clock::now() + seconds(cfg_->mail.poll_seconds);
    }
    if (now >= next_deadlines) {
      lock.unlock();
      auto r = desk_->run_deadlines();
      if (!r) {
        log::warn("deadline pass failed", {{"error", r.error().message}});
      } else if (r.value() > 0) {
        log::info("deadline pass", {{"touched", std::to_string(r.value())}});
      }
      lock.lock();
      next_deadlines = steady_clock::now() + seconds(cfg_->feedback.deadline_check_seconds);
    }
    const auto wake = outbox_ ? std::min(next_mail, next_deadlines) : next_deadlines;
    cv_.wait_until(lock, wake, [this] { return stopping_; });
  }
}

}  // namespace nguon::app

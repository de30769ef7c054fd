#include "core/devices/csv.h"

namespace nguon::csv {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

Error bad_csv(size_t line, std::string_view what) {
  return invalid("invalid_csv", "line " + std::to_string(line) + ": " + std::string(what));
}

// Reads records one field at a time; `line` counts physical lines for error messages.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }

  Result<Record> record() {
    Record out;
    for (;;) {
      auto field = next_field();
      if (!field) return field.error();
      out.push_back(std::move(field.value()));
      if (done()) return out;
      const char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        if (done()) {  // a trailing comma ends with an empty field
          out.emplace_back();
          return out;
        }
        continue;
      }
      consume_line_break();
      return out;
    }
  }

  size_t line() const { return line_; }

 private:
  Result<std::string> next_field() {
    if (!done() && text_[pos_] == '"') return quoted_field();
    std::string out;
    while (!done() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
      if (text_[pos_] == '"') return bad_csv(line_, "a quote inside an unquoted field");
      out.push_back(text_[pos_++]);
    }
    return out;
  }

  Result<std::string> quoted_field() {
    const size_t start_line = line_;
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (done()) return bad_csv(start_line, "a quoted field is not closed");
      const char c = text_[pos_++];
      if (c == '"') {
        if (!done() && text_[pos_] == '"') {
          out.push_back('"');
          ++pos_;
          continue;
        }
        if (!done() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
          return bad_csv(line_, "text after a closing quote");
        }
        return out;
      }
      if (c == '\n') ++line_;
      out.push_back(c);
    }
  }

  void consume_line_break() {
    if (!done() && text_[pos_] == '\r') ++pos_;
    if (!done() && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

bool blank(const Record& r) { return r.size() == 1 && r[0].empty(); }

}  // namespace

Result<std::vector<Record>> parse(std::string_view text, size_t max_records) {
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  Reader reader(text);
  std::vector<Record> out;
  while (!reader.done()) {
    auto r = reader.record();
    if (!r) return r.error();
    if (blank(r.value())) continue;
    if (out.size() == max_records) {
      return invalid("too_many_rows",
                     "at most " + std::to_string(max_records) + " records per file");
    }
    out.push_back(std::move(r.value()));
  }
  return out;
}

}  // namespace nguon::csv

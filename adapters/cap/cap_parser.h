// Reading OASIS CAP 1.2 alerts (issue 6), and the Atom feeds that list them, with libxml2: size
// limit, a parse that never loads anything (no DTD, no external entity, no network; a document with
// a DOCTYPE is refused), schema validation against cap12.xsd, then the checks the schema cannot
// make. Untrusted input: fuzzed by fuzz/cap_fuzz.cpp. Nothing is written to stderr; every reason
// travels in the Error.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/alerts/alert_desk.h"
#include "core/alerts/cap_model.h"
#include "core/result.h"

namespace nguon::cap {

inline constexpr std::string_view kCap12Namespace = "urn:oasis:names:tc:emergency:cap:1.2";

// The compiled CAP 1.2 schema. Load it once and share it: validation uses a fresh libxml2
// validation context per call, so concurrent parse_cap calls on one schema are safe.
class CapSchema {
 public:
  // cap12.xsd (data/cap/cap12.xsd in the repository). Errors: invalid("cap_xsd", why).
  static Result<std::shared_ptr<const CapSchema>> from_file(const std::string& path);
  static Result<std::shared_ptr<const CapSchema>> from_memory(std::string_view xsd);

  struct Impl;
  explicit CapSchema(std::unique_ptr<Impl> impl);
  ~CapSchema();
  CapSchema(const CapSchema&) = delete;
  CapSchema& operator=(const CapSchema&) = delete;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct CapLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // 1 MiB: past it, too_large before parsing
  std::size_t max_points = 10000;                // polygon points over the whole document
};

// Errors:
// - {kTooLarge, "too_large"}: more than limits.max_bytes;
// - invalid("cap_malformed", …): not well-formed XML (libxml2's message with its line), or a
//   DOCTYPE (refused: CAP needs none, and it is the door to entity attacks);
// - invalid("cap_version", …): a CAP 1.0 or 1.1 document (only 1.2 is accepted);
// - invalid("cap_schema", …): fails cap12.xsd (libxml2's messages, with lines);
// - invalid("cap_semantic", …): what the schema cannot check: identifier or sender with spaces,
//   commas, '<' or '&'; a time that is not a real date; expires before sent; a malformed,
//   unclosed, self-intersecting or oversized polygon (core/alerts/area.h); a malformed circle or
//   one of radius <= 0; malformed references; an Update or Cancel without references; more than
//   limits.max_points polygon points in all.
Result<alerts::CapAlert> parse_cap(std::string_view xml, const CapSchema& schema,
                                   const CapLimits& limits = {});

// The alert desk's CapCodec: parse_cap with a shared schema, and write_cap (cap_writer.h).
class SchemaCapCodec final : public alerts::CapCodec {
 public:
  explicit SchemaCapCodec(std::shared_ptr<const CapSchema> schema) : schema_(std::move(schema)) {}
  Result<alerts::CapAlert> decode(std::string_view xml) override {
    return parse_cap(xml, *schema_);
  }
  std::string encode(const alerts::CapAlert& alert) override;

 private:
  std::shared_ptr<const CapSchema> schema_;
};

// An entry of an alerting authority's Atom feed (RFC 4287), as polled for new alerts.
struct AtomLink {
  std::string rel;  // "" when absent (RFC 4287: "alternate")
  std::string type;
  std::string href;  // as written: relative references are resolved by the caller
};
struct FeedEntry {
  std::string id;
  std::string title;
  std::string updated;  // as written (RFC 3339)
  std::vector<AtomLink> links;
  // The CAP document: the first link of type application/cap+xml, else the first "alternate"
  // link (or link without rel); "" when there is none.
  std::string cap_url;
};

// The entries of an Atom feed, in document order. Read like a CAP document (no DOCTYPE, nothing
// loaded, nothing printed). Errors: {kTooLarge, "too_large"} past max_bytes,
// invalid("atom_malformed", …) for XML that is not well-formed, invalid("atom_not_a_feed") when
// the root is not an Atom <feed>.
Result<std::vector<FeedEntry>> parse_atom_feed(std::string_view xml,
                                               std::size_t max_bytes = std::size_t{4} << 20);

}  // namespace nguon::cap

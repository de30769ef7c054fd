// Fuzzes the CAP 1.2 parser (adapters/cap/cap_parser.h), which reads alerts pushed or polled
// from outside: libxml2 parsing, schema validation against data/cap/cap12.xsd (loaded once in
// LLVMFuzzerInitialize from the path baked in by fuzz/CMakeLists.txt) and the semantic checks;
// the same bytes also go to the Atom feed reader (parse_atom_feed). Beyond "no crash, no hang,
// no sanitizer report", it aborts when the contract breaks: an error code outside the documented
// set, an accepted alert with an empty identifier, an invalid polygon or circle, an Update or
// Cancel without references, or an accepted alert that does not survive write_cap → parse_cap
// unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "adapters/cap/cap_parser.h"
#include "adapters/cap/cap_writer.h"
#include "core/alerts/area.h"

namespace {

std::shared_ptr<const nguon::cap::CapSchema> g_schema;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "cap_fuzz: %s\n", what);
  std::abort();
}

void check_alert(const nguon::alerts::CapAlert& alert) {
  using namespace nguon::alerts;
  if (alert.identifier.empty() || alert.sender.empty()) fail("accepted without identifier");
  if ((alert.msg_type == CapMsgType::kUpdate || alert.msg_type == CapMsgType::kCancel) &&
      alert.references.empty()) {
    fail("Update or Cancel without references");
  }
  for (const CapInfo& info : alert.infos) {
    for (const CapArea& area : info.areas) {
      for (const auto& ring : area.polygons) {
        if (!validate_polygon(ring).ok()) fail("accepted an invalid polygon");
      }
      for (const CapCircle& c : area.circles) {
        if (!validate_circle(c).ok()) fail("accepted an invalid circle");
      }
    }
  }
  auto again = nguon::cap::parse_cap(nguon::cap::write_cap(alert), *g_schema);
  if (!again.ok()) {
    std::fprintf(stderr, "%s: %s\n", again.error().code.c_str(), again.error().message.c_str());
    fail("write_cap output does not parse");
  }
  if (!(*again == alert)) fail("write_cap → parse_cap changed the alert");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  auto schema = nguon::cap::CapSchema::from_file(NGUON_CAP_XSD);
  if (!schema) {
    std::fprintf(stderr, "cap_fuzz: %s\n", schema.error().message.c_str());
    std::abort();
  }
  g_schema = *schema;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto feed = nguon::cap::parse_atom_feed(in); !feed.ok()) {
    const auto& code = feed.error().code;
    if (code != "atom_malformed" && code != "atom_not_a_feed" && code != "too_large") {
      fail("unexpected Atom error code");
    }
  }
  auto alert = nguon::cap::parse_cap(in, *g_schema);
  if (alert.ok()) {
    check_alert(*alert);
    return 0;
  }
  const auto& code = alert.error().code;
  if (code != "cap_malformed" && code != "cap_version" && code != "cap_schema" &&
      code != "cap_semantic" && code != "too_large") {
    fail("unexpected error code");
  }
  if (alert.error().message.empty()) fail("error without a reason");
  return 0;
}

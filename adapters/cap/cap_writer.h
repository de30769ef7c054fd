// Writing Nguồn's own alerts as OASIS CAP 1.2 documents (valid against data/cap/cap12.xsd when
// the record is complete: identifier, sender, and per info at least one category, an event,
// urgency, severity and certainty, per area an areaDesc) and as an Atom feed (RFC 4287) whose
// entries link to the CAP documents. Times are written at UTC+07:00.
#pragma once

#include <string>
#include <vector>

#include "core/alerts/cap_model.h"
#include "core/model.h"

namespace nguon::cap {

// The CAP 1.2 document of the alert (UTF-8, default namespace). Empty optional strings and 0
// optional times are left out. Characters XML 1.0 cannot carry are dropped.
std::string write_cap(const alerts::CapAlert& alert);

struct AtomFeed {
  std::string id;        // an IRI, e.g. "https://nguon.example.vn/alerts/feed"
  std::string title;     // "Cảnh báo khẩn cấp — Nguồn"
  std::string self_url;  // where the feed is served (link rel="self"), optional
  std::string author;    // the publishing authority
  UnixTime updated = 0;  // 0: the latest entry's updated
};

struct AtomEntry {
  std::string id;  // e.g. "urn:nguon:alert:<sender>:<identifier>"
  std::string title;
  UnixTime updated = 0;
  std::string summary;   // plain text, optional
  std::string cap_url;   // the CAP document (link rel="alternate" type="application/cap+xml")
  std::string category;  // optional, e.g. the CAP event
};

// The feed's XML: feed metadata, then the entries in the order given (newest first, by habit).
std::string write_atom(const AtomFeed& feed, const std::vector<AtomEntry>& entries);

// A feed entry for an alert served at `cap_url`: id from sender and identifier, title from the
// first info's headline (else its event, else the identifier), updated = sent.
AtomEntry atom_entry_for(const alerts::CapAlert& alert, const std::string& cap_url);

}  // namespace nguon::cap

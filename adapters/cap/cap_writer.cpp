#include "adapters/cap/cap_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "adapters/cap/cap_parser.h"
#include "adapters/cap/cap_time.h"

namespace nguon::cap {

using alerts::CapAlert;
using alerts::CapArea;
using alerts::CapInfo;
using alerts::CapValue;
using alerts::GeoPoint;

namespace {

// Escapes text for element content and attribute values; drops the C0 controls XML 1.0 cannot
// carry and writes CR as a character reference so it survives end-of-line normalisation.
void escape_into(std::string& out, std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (c < 0x20 && ch != '\t' && ch != '\n') break;
        out += ch;
    }
  }
}

std::string number(double v) {
  std::array<char, 32> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return {buf.data(), res.ptr};
}

std::string point(const GeoPoint& p) { return number(p.lat) + "," + number(p.lon); }

class Xml {
 public:
  explicit Xml(std::string& out) : out_(out) {}

  void open(std::string_view name, int depth) {
    indent(depth);
    out_ += '<';
    out_ += name;
    out_ += ">\n";
  }
  void close(std::string_view name, int depth) {
    indent(depth);
    out_ += "</";
    out_ += name;
    out_ += ">\n";
  }
  void element(std::string_view name, std::string_view text, int depth) {
    indent(depth);
    out_ += '<';
    out_ += name;
    out_ += '>';
    escape_into(out_, text);
    out_ += "</";
    out_ += name;
    out_ += ">\n";
  }
  void optional(std::string_view name, std::string_view text, int depth) {
    if (!text.empty()) element(name, text, depth);
  }
  void time(std::string_view name, UnixTime t, int depth) {
    if (t != 0) element(name, format_cap_time(t), depth);
  }
  void pair(std::string_view name, const CapValue& v, int depth) {
    open(name, depth);
    element("valueName", v.value_name, depth + 1);
    element("value", v.value, depth + 1);
    close(name, depth);
  }

 private:
  void indent(int depth) { out_.append(static_cast<std::size_t>(depth) * 2, ' '); }
  std::string& out_;
};

void write_area(Xml& x, const CapArea& area) {
  x.open("area", 2);
  x.element("areaDesc", area.area_desc, 3);
  for (const auto& ring : area.polygons) {
    std::string text;
    for (const GeoPoint& p : ring) {
      if (!text.empty()) text += ' ';
      text += point(p);
    }
    x.element("polygon", text, 3);
  }
  for (const auto& c : area.circles) {
    x.element("circle", point(c.centre) + " " + number(c.radius_km), 3);
  }
  for (const CapValue& g : area.geocodes) x.pair("geocode", g, 3);
  if (area.altitude) x.element("altitude", number(*area.altitude), 3);
  if (area.ceiling) x.element("ceiling", number(*area.ceiling), 3);
  x.close("area", 2);
}

void write_info(Xml& x, const CapInfo& info) {
  x.open("info", 1);
  x.optional("language", info.language, 2);
  for (const auto& c : info.categories) x.element("category", c, 2);
  x.element("event", info.event, 2);
  for (const auto& r : info.response_types) x.element("responseType", r, 2);
  x.element("urgency", info.urgency, 2);
  x.element("severity", info.severity, 2);
  x.element("certainty", info.certainty, 2);
  x.optional("audience", info.audience, 2);
  for (const CapValue& v : info.event_codes) x.pair("eventCode", v, 2);
  x.time("effective", info.effective, 2);
  x.time("onset", info.onset, 2);
  x.time("expires", info.expires, 2);
  x.optional("senderName", info.sender_name, 2);
  x.optional("headline", info.headline, 2);
  x.optional("description", info.description, 2);
  x.optional("instruction", info.instruction, 2);
  x.optional("web", info.web, 2);
  x.optional("contact", info.contact, 2);
  for (const CapValue& v : info.parameters) x.pair("parameter", v, 2);
  for (const auto& r : info.resources) {
    x.open("resource", 2);
    x.element("resourceDesc", r.resource_desc, 3);
    x.element("mimeType", r.mime_type, 3);
    if (r.size) x.element("size", std::to_string(*r.size), 3);
    x.optional("uri", r.uri, 3);
    x.optional("digest", r.digest, 3);
    x.close("resource", 2);
  }
  for (const CapArea& area : info.areas) write_area(x, area);
  x.close("info", 1);
}

std::string atom_time(UnixTime t) { return format_cap_time(t); }

}  // namespace

std::string write_cap(const CapAlert& a) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n";
  Xml x(out);
  x.element("identifier", a.identifier, 1);
  x.element("sender", a.sender, 1);
  x.element("sent", format_cap_time(a.sent), 1);
  x.element("status", alerts::to_string(a.status), 1);
  x.element("msgType", alerts::to_string(a.msg_type), 1);
  x.optional("source", a.source, 1);
  x.element("scope", alerts::to_string(a.scope), 1);
  x.optional("restriction", a.restriction, 1);
  x.optional("addresses", a.addresses, 1);
  for (const auto& c : a.codes) x.element("code", c, 1);
  x.optional("note", a.note, 1);
  if (!a.references.empty()) {
    std::string refs;
    for (const auto& r : a.references) {
      if (!refs.empty()) refs += ' ';
      refs += r.sender + "," + r.identifier + "," + format_cap_time(r.sent);
    }
    x.element("references", refs, 1);
  }
  x.optional("incidents", a.incidents, 1);
  for (const CapInfo& info : a.infos) write_info(x, info);
  out += "</alert>\n";
  return out;
}

std::string write_atom(const AtomFeed& feed, const std::vector<AtomEntry>& entries) {
  UnixTime updated = feed.updated;
  if (updated == 0) {
    for (const auto& e : entries) updated = std::max(updated, e.updated);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  Xml x(out);
  x.element("id", feed.id, 1);
  x.element("title", feed.title, 1);
  x.element("updated", atom_time(updated), 1);
  if (!feed.self_url.empty()) {
    out += "  <link rel=\"self\" type=\"application/atom+xml\" href=\"";
    escape_into(out, feed.self_url);
    out += "\"/>\n";
  }
  x.open("author", 1);
  x.element("name", feed.author.empty() ? "Nguồn" : feed.author, 2);
  x.close("author", 1);
  for (const AtomEntry& e : entries) {
    x.open("entry", 1);
    x.element("id", e.id, 2);
    x.element("title", e.title, 2);
    x.element("updated", atom_time(e.updated), 2);
    out += "    <link rel=\"alternate\" type=\"application/cap+xml\" href=\"";
    escape_into(out, e.cap_url);
    out += "\"/>\n";
    if (!e.category.empty()) {
      out += "    <category term=\"";
      escape_into(out, e.category);
      out += "\"/>\n";
    }
    x.optional("summary", e.summary, 2);
    x.close("entry", 1);
  }
  out += "</feed>\n";
  return out;
}

AtomEntry atom_entry_for(const CapAlert& alert, const std::string& cap_url) {
  AtomEntry e;
  e.id = "urn:nguon:alert:" + alert.sender + ":" + alert.identifier;
  e.updated = alert.sent;
  e.cap_url = cap_url;
  e.title = alert.identifier;
  if (!alert.infos.empty()) {
    const CapInfo& info = alert.infos.front();
    e.title = !info.headline.empty() ? info.headline : !info.event.empty() ? info.event : e.title;
    e.summary = info.description;
    e.category = info.event;
  }
  return e;
}

}  // namespace nguon::cap

namespace nguon::cap {

std::string SchemaCapCodec::encode(const alerts::CapAlert& alert) { return write_cap(alert); }

}  // namespace nguon::cap

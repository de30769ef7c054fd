#include "adapters/cap/cap_parser.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "adapters/cap/cap_time.h"
#include "core/alerts/area.h"

namespace nguon::cap {

using alerts::CapAlert;
using alerts::CapArea;
using alerts::CapCircle;
using alerts::CapInfo;
using alerts::CapReference;
using alerts::CapResource;
using alerts::CapValue;
using alerts::GeoPoint;

struct CapSchema::Impl {
  xmlDocPtr doc = nullptr;  // the schema document, kept alive as long as the compiled schema
  xmlSchemaPtr schema = nullptr;
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (schema != nullptr) xmlSchemaFree(schema);
    if (doc != nullptr) xmlFreeDoc(doc);
  }
};

namespace {

#if LIBXML_VERSION >= 21200
using ErrorArg = const xmlError*;
#else
using ErrorArg = xmlErrorPtr;
#endif

constexpr std::size_t kMaxMessages = 5;

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string describe(const xmlError& e) {
  std::string msg = "line " + std::to_string(e.line) + ": ";
  msg += e.message != nullptr ? std::string(trim(e.message)) : "error";
  return msg;
}

// Structured error handler: collects the first messages, never prints.
void collect_error(void* user, ErrorArg error) {
  auto* messages = static_cast<std::vector<std::string>*>(user);
  if (error == nullptr || messages->size() >= kMaxMessages) return;
  messages->push_back(describe(*error));
}

std::string join(const std::vector<std::string>& messages) {
  std::string out;
  for (const auto& m : messages) {
    if (!out.empty()) out += "; ";
    out += m;
  }
  return out.empty() ? "invalid document" : out;
}

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

// SAX hook for <!DOCTYPE …>: stops the parser before the internal subset is read.
void refuse_doctype(void* ctx, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
                    const xmlChar* /*system_id*/) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  *static_cast<bool*>(ctxt->_private) = true;
  xmlStopParser(ctxt);
}

struct DocFree {
  void operator()(xmlDocPtr d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

Result<DocPtr> read_xml(std::string_view xml) {
  if (xml.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return Error{ErrorKind::kTooLarge, "too_large", "the document is too large"};
  }
  xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(xml.data(), static_cast<int>(xml.size()));
  if (ctxt == nullptr) return invalid("cap_malformed", "line 1: not an XML document");
  bool doctype = false;
  ctxt->_private = &doctype;
  ctxt->sax->internalSubset = refuse_doctype;
  ctxt->sax->externalSubset = nullptr;
  // No entity substitution, no DTD loading or attribute defaults, no network, no printing.
  xmlCtxtUseOptions(ctxt,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  xmlParseDocument(ctxt);
  DocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  const bool well_formed = ctxt->wellFormed != 0;
  std::string message;
  if (const xmlError* e = xmlCtxtGetLastError(ctxt); e != nullptr && e->code != 0) {
    message = describe(*e);
  }
  xmlFreeParserCtxt(ctxt);
  if (doctype) {
    return invalid("cap_malformed", "a DOCTYPE is not allowed (CAP and Atom need none)");
  }
  if (!well_formed || doc == nullptr) {
    return invalid("cap_malformed", message.empty() ? "not well-formed XML" : message);
  }
  return doc;
}

bool is_cap(const xmlNode* n, const char* name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         xmlStrEqual(n->ns->href, BAD_CAST "urn:oasis:names:tc:emergency:cap:1.2") != 0 &&
         xmlStrEqual(n->name, BAD_CAST name) != 0;
}

std::string text_of(const xmlNode* n) {
  xmlChar* content = xmlNodeGetContent(n);
  if (content == nullptr) return {};
  std::string out(trim(reinterpret_cast<const char*>(content)));
  xmlFree(content);
  return out;
}

// The (valueName, value) pair of <parameter>, <eventCode> or <geocode>.
CapValue value_of(const xmlNode* n) {
  CapValue v;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (is_cap(c, "valueName")) v.value_name = text_of(c);
    if (is_cap(c, "value")) v.value = text_of(c);
  }
  return v;
}

std::optional<double> to_double(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// "lat,lon"
std::optional<GeoPoint> to_point(std::string_view s) {
  const std::size_t comma = s.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto lat = to_double(s.substr(0, comma));
  const auto lon = to_double(s.substr(comma + 1));
  if (!lat || !lon) return std::nullopt;
  GeoPoint p{*lat, *lon};
  if (!alerts::valid_point(p)) return std::nullopt;
  return p;
}

class Mapper {
 public:
  explicit Mapper(const CapLimits& limits) : limits_(limits) {}

  Result<CapAlert> alert(const xmlNode* root) {
    CapAlert a;
    std::string status;
    std::string msg_type;
    std::string scope;
    std::string references;
    for (const xmlNode* n = root->children; n != nullptr; n = n->next) {
      if (is_cap(n, "identifier")) a.identifier = text_of(n);
      if (is_cap(n, "sender")) a.sender = text_of(n);
      if (is_cap(n, "sent")) {
        NGUON_TRY_ASSIGN(a.sent, time(text_of(n), "sent"));
      }
      if (is_cap(n, "status")) status = text_of(n);
      if (is_cap(n, "msgType")) msg_type = text_of(n);
      if (is_cap(n, "source")) a.source = text_of(n);
      if (is_cap(n, "scope")) scope = text_of(n);
      if (is_cap(n, "restriction")) a.restriction = text_of(n);
      if (is_cap(n, "addresses")) a.addresses = text_of(n);
      if (is_cap(n, "code")) a.codes.push_back(text_of(n));
      if (is_cap(n, "note")) a.note = text_of(n);
      if (is_cap(n, "references")) references = text_of(n);
      if (is_cap(n, "incidents")) a.incidents = text_of(n);
      if (is_cap(n, "info")) {
        NGUON_TRY_ASSIGN(CapInfo info, this->info(n));
        a.infos.push_back(std::move(info));
      }
    }
    NGUON_TRY(check_id(a.identifier, "identifier"));
    NGUON_TRY(check_id(a.sender, "sender"));
    NGUON_TRY_ASSIGN(a.status, status_of(status));
    NGUON_TRY_ASSIGN(a.msg_type, msg_type_of(msg_type));
    NGUON_TRY_ASSIGN(a.scope, scope_of(scope));
    for (std::string_view triple : split_ws(references)) {
      NGUON_TRY_ASSIGN(CapReference ref, reference(triple));
      a.references.push_back(std::move(ref));
    }
    if ((a.msg_type == alerts::CapMsgType::kUpdate || a.msg_type == alerts::CapMsgType::kCancel) &&
        a.references.empty()) {
      return invalid("cap_semantic", std::string("an ") + alerts::to_string(a.msg_type) +
                                         " must list the alerts it refers to in <references>");
    }
    for (const CapInfo& info : a.infos) {
      if (info.expires != 0 && info.expires < a.sent) {
        return invalid("cap_semantic", "expires is before sent");
      }
    }
    return a;
  }

 private:
  static Result<UnixTime> time(const std::string& s, const char* what) {
    if (auto t = parse_cap_time(s)) return *t;
    return invalid("cap_semantic", std::string(what) + " is not a valid CAP time: " + s);
  }

  // CAP: identifiers and senders contain no spaces, commas, '<' or '&'.
  static Status check_id(const std::string& s, const char* what) {
    if (s.empty()) return invalid("cap_semantic", std::string(what) + " is empty");
    if (s.find_first_of(" \t\r\n,<&") != std::string::npos) {
      return invalid("cap_semantic",
                     std::string(what) + " must not contain spaces, commas, '<' or '&'");
    }
    return {};
  }

  static Result<alerts::CapStatus> status_of(std::string_view s) {
    using alerts::CapStatus;
    for (CapStatus v : {CapStatus::kActual, CapStatus::kExercise, CapStatus::kSystem,
                        CapStatus::kTest, CapStatus::kDraft}) {
      if (s == alerts::to_string(v)) return v;
    }
    return invalid("cap_semantic", "unknown status");
  }
  static Result<alerts::CapMsgType> msg_type_of(std::string_view s) {
    using alerts::CapMsgType;
    for (CapMsgType v : {CapMsgType::kAlert, CapMsgType::kUpdate, CapMsgType::kCancel,
                         CapMsgType::kAck, CapMsgType::kError}) {
      if (s == alerts::to_string(v)) return v;
    }
    return invalid("cap_semantic", "unknown msgType");
  }
  static Result<alerts::CapScope> scope_of(std::string_view s) {
    using alerts::CapScope;
    for (CapScope v : {CapScope::kPublic, CapScope::kRestricted, CapScope::kPrivate}) {
      if (s == alerts::to_string(v)) return v;
    }
    return invalid("cap_semantic", "unknown scope");
  }

  // "sender,identifier,sent"
  static Result<CapReference> reference(std::string_view triple) {
    const std::size_t c1 = triple.find(',');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : triple.find(',', c1 + 1);
    if (c2 == std::string_view::npos || c1 == 0 || c2 == c1 + 1) {
      return invalid("cap_semantic", "a reference is not sender,identifier,sent");
    }
    CapReference ref;
    ref.sender = std::string(triple.substr(0, c1));
    ref.identifier = std::string(triple.substr(c1 + 1, c2 - c1 - 1));
    NGUON_TRY_ASSIGN(ref.sent, time(std::string(triple.substr(c2 + 1)), "a reference's sent"));
    return ref;
  }

  Result<CapInfo> info(const xmlNode* node) {
    CapInfo info;
    for (const xmlNode* n = node->children; n != nullptr; n = n->next) {
      if (is_cap(n, "language")) info.language = text_of(n);
      if (is_cap(n, "category")) info.categories.push_back(text_of(n));
      if (is_cap(n, "event")) info.event = text_of(n);
      if (is_cap(n, "responseType")) info.response_types.push_back(text_of(n));
      if (is_cap(n, "urgency")) info.urgency = text_of(n);
      if (is_cap(n, "severity")) info.severity = text_of(n);
      if (is_cap(n, "certainty")) info.certainty = text_of(n);
      if (is_cap(n, "audience")) info.audience = text_of(n);
      if (is_cap(n, "eventCode")) info.event_codes.push_back(value_of(n));
      if (is_cap(n, "effective")) {
        NGUON_TRY_ASSIGN(info.effective, time(text_of(n), "effective"));
      }
      if (is_cap(n, "onset")) {
        NGUON_TRY_ASSIGN(info.onset, time(text_of(n), "onset"));
      }
      if (is_cap(n, "expires")) {
        NGUON_TRY_ASSIGN(info.expires, time(text_of(n), "expires"));
      }
      if (is_cap(n, "senderName")) info.sender_name = text_of(n);
      if (is_cap(n, "headline")) info.headline = text_of(n);
      if (is_cap(n, "description")) info.description = text_of(n);
      if (is_cap(n, "instruction")) info.instruction = text_of(n);
      if (is_cap(n, "web")) info.web = text_of(n);
      if (is_cap(n, "contact")) info.contact = text_of(n);
      if (is_cap(n, "parameter")) info.parameters.push_back(value_of(n));
      if (is_cap(n, "resource")) {
        NGUON_TRY_ASSIGN(CapResource r, resource(n));
        info.resources.push_back(std::move(r));
      }
      if (is_cap(n, "area")) {
        NGUON_TRY_ASSIGN(CapArea area, this->area(n));
        info.areas.push_back(std::move(area));
      }
    }
    return info;
  }

  static Result<CapResource> resource(const xmlNode* node) {
    CapResource r;
    for (const xmlNode* n = node->children; n != nullptr; n = n->next) {
      if (is_cap(n, "resourceDesc")) r.resource_desc = text_of(n);
      if (is_cap(n, "mimeType")) r.mime_type = text_of(n);
      if (is_cap(n, "size")) {
        const std::string s = text_of(n);
        long long size = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), size);
        if (ec != std::errc() || end != s.data() + s.size() || size < 0) {
          return invalid("cap_semantic", "a resource size is not a byte count");
        }
        r.size = size;
      }
      if (is_cap(n, "uri")) r.uri = text_of(n);
      if (is_cap(n, "digest")) r.digest = text_of(n);
    }
    return r;
  }

  Result<CapArea> area(const xmlNode* node) {
    CapArea area;
    for (const xmlNode* n = node->children; n != nullptr; n = n->next) {
      if (is_cap(n, "areaDesc")) area.area_desc = text_of(n);
      if (is_cap(n, "polygon")) {
        NGUON_TRY_ASSIGN(auto ring, polygon(text_of(n)));
        area.polygons.push_back(std::move(ring));
      }
      if (is_cap(n, "circle")) {
        NGUON_TRY_ASSIGN(CapCircle c, circle(text_of(n)));
        area.circles.push_back(c);
      }
      if (is_cap(n, "geocode")) area.geocodes.push_back(value_of(n));
      if (is_cap(n, "altitude")) area.altitude = to_double(text_of(n));
      if (is_cap(n, "ceiling")) area.ceiling = to_double(text_of(n));
    }
    return area;
  }

  Result<std::vector<GeoPoint>> polygon(const std::string& s) {
    std::vector<GeoPoint> ring;
    for (std::string_view token : split_ws(s)) {
      if (++points_ > limits_.max_points) {
        return invalid("cap_semantic", "the document has more than " +
                                           std::to_string(limits_.max_points) + " polygon points");
      }
      if (ring.size() >= alerts::kMaxPolygonPoints) {
        return invalid("cap_semantic", "a polygon has more than " +
                                           std::to_string(alerts::kMaxPolygonPoints) + " points");
      }
      const auto p = to_point(token);
      if (!p) return invalid("cap_semantic", "a polygon point is not a valid lat,lon pair");
      ring.push_back(*p);
    }
    NGUON_TRY(alerts::validate_polygon(ring));
    return ring;
  }

  // "lat,lon radius"
  static Result<CapCircle> circle(const std::string& s) {
    const auto parts = split_ws(s);
    std::optional<GeoPoint> centre;
    std::optional<double> radius;
    if (parts.size() == 2) {
      centre = to_point(parts[0]);
      radius = to_double(parts[1]);
    }
    if (!centre || !radius) return invalid("cap_semantic", "a circle is not \"lat,lon radius\"");
    CapCircle c{*centre, *radius};
    NGUON_TRY(alerts::validate_circle(c));
    return c;
  }

  const CapLimits& limits_;
  std::size_t points_ = 0;
};

}  // namespace

CapSchema::CapSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CapSchema::~CapSchema() = default;

Result<std::shared_ptr<const CapSchema>> CapSchema::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid("cap_xsd", "cannot read the CAP schema " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return from_memory(buf.str());
}

Result<std::shared_ptr<const CapSchema>> CapSchema::from_memory(std::string_view xsd) {
  init_libxml();
  // The schema document is read like an alert (quietly, nothing loaded), then compiled.
  auto doc = read_xml(xsd);
  if (!doc) return invalid("cap_xsd", "bad CAP schema: " + doc.error().message);
  auto impl = std::make_unique<Impl>();
  impl->doc = doc->release();
  xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewDocParserCtxt(impl->doc);
  if (pctxt == nullptr) return invalid("cap_xsd", "cannot read the CAP schema");
  std::vector<std::string> messages;
  xmlSchemaSetParserStructuredErrors(pctxt, collect_error, &messages);
  impl->schema = xmlSchemaParse(pctxt);
  xmlSchemaFreeParserCtxt(pctxt);
  if (impl->schema == nullptr) return invalid("cap_xsd", "bad CAP schema: " + join(messages));
  return std::shared_ptr<const CapSchema>(std::make_shared<CapSchema>(std::move(impl)));
}

Result<alerts::CapAlert> parse_cap(std::string_view xml, const CapSchema& schema,
                                   const CapLimits& limits) {
  if (xml.size() > limits.max_bytes) {
    return Error{ErrorKind::kTooLarge, "too_large",
                 "a CAP document is limited to " + std::to_string(limits.max_bytes) + " bytes"};
  }
  init_libxml();
  NGUON_TRY_ASSIGN(DocPtr doc, read_xml(xml));
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return invalid("cap_malformed", "the document has no root element");
  if (root->ns != nullptr && root->ns->href != nullptr) {
    const std::string_view ns(reinterpret_cast<const char*>(root->ns->href));
    if (ns == "urn:oasis:names:tc:emergency:cap:1.1" || ns == "http://www.incident.com/cap/1.0") {
      return invalid("cap_version", "only CAP 1.2 (" + std::string(kCap12Namespace) +
                                        ") is accepted; this document is in " + std::string(ns));
    }
  }
  std::vector<std::string> messages;
  xmlSchemaValidCtxtPtr vctxt = xmlSchemaNewValidCtxt(schema.impl().schema);
  if (vctxt == nullptr) return internal("cannot create a schema validation context");
  xmlSchemaSetValidStructuredErrors(vctxt, collect_error, &messages);
  const int rc = xmlSchemaValidateDoc(vctxt, doc.get());
  xmlSchemaFreeValidCtxt(vctxt);
  if (rc != 0) return invalid("cap_schema", join(messages));
  return Mapper(limits).alert(root);
}

namespace {

bool is_atom(const xmlNode* n, const char* name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         xmlStrEqual(n->ns->href, BAD_CAST "http://www.w3.org/2005/Atom") != 0 &&
         xmlStrEqual(n->name, BAD_CAST name) != 0;
}

std::string attribute(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(n, BAD_CAST name);
  if (v == nullptr) return {};
  std::string out(trim(reinterpret_cast<const char*>(v)));
  xmlFree(v);
  return out;
}

FeedEntry feed_entry(const xmlNode* node) {
  FeedEntry e;
  for (const xmlNode* n = node->children; n != nullptr; n = n->next) {
    if (is_atom(n, "id")) e.id = text_of(n);
    if (is_atom(n, "title")) e.title = text_of(n);
    if (is_atom(n, "updated")) e.updated = text_of(n);
    if (is_atom(n, "link")) {
      e.links.push_back({attribute(n, "rel"), attribute(n, "type"), attribute(n, "href")});
    }
  }
  for (const AtomLink& l : e.links) {
    if (l.type == "application/cap+xml" && !l.href.empty()) {
      e.cap_url = l.href;
      break;
    }
  }
  if (e.cap_url.empty()) {
    for (const AtomLink& l : e.links) {
      if ((l.rel.empty() || l.rel == "alternate") && !l.href.empty()) {
        e.cap_url = l.href;
        break;
      }
    }
  }
  return e;
}

}  // namespace

Result<std::vector<FeedEntry>> parse_atom_feed(std::string_view xml, std::size_t max_bytes) {
  if (xml.size() > max_bytes) {
    return Error{ErrorKind::kTooLarge, "too_large",
                 "an Atom feed is limited to " + std::to_string(max_bytes) + " bytes"};
  }
  init_libxml();
  auto doc = read_xml(xml);
  if (!doc) {
    if (doc.error().kind == ErrorKind::kTooLarge) return doc.error();
    return invalid("atom_malformed", doc.error().message);
  }
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  if (!is_atom(root, "feed")) return invalid("atom_not_a_feed", "the root is not an Atom <feed>");
  std::vector<FeedEntry> entries;
  for (const xmlNode* n = root->children; n != nullptr; n = n->next) {
    if (is_atom(n, "entry")) entries.push_back(feed_entry(n));
  }
  return entries;
}

}  // namespace nguon::cap

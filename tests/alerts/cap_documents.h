// CAP 1.2 documents for the alert tests, built from a few fields (valid against cap12.xsd unless a
// test breaks them on purpose). Shared by the desk's unit tests and the end-to-end test.
#pragma once

#include <string>
#include <vector>

namespace nguon::testing {

struct CapDoc {
  std::string sender = "canhbao@kttv.gov.vn";
  std::string identifier = "KTTV-TH-2026-0001";
  std::string sent = "2026-11-26T08:00:00+07:00";
  std::string status = "Actual";
  std::string msg_type = "Alert";
  std::string scope = "Public";
  std::string references;  // CAP <references>: "sender,identifier,sent" separated by spaces
  std::string language = "vi-VN";
  std::string event = "Bão";
  std::string severity = "Extreme";
  std::string urgency = "Immediate";
  std::string certainty = "Observed";
  std::string expires = "2099-01-01T00:00:00+07:00";  // "" = none
  std::string sender_name = "Đài Khí tượng Thủy văn Thanh Hóa";
  std::string headline = "Bão số 3 đổ bộ vào Thanh Hóa";
  std::string description = "Bão mạnh cấp 12, giật cấp 14, đổ bộ trong đêm nay.";
  std::string instruction = "Người dân ở trong nhà, tránh xa bờ biển và sông suối.";
  std::string area_desc = "Thanh Hóa";
  std::vector<std::string> geocodes;  // VN-ADM values
  std::string polygon;                // "lat,lon lat,lon …" (closed)
  std::string circle;                 // "lat,lon radius_km"
};

inline std::string cap_xml(const CapDoc& d) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n";
  x += "<identifier>" + d.identifier + "</identifier>\n<sender>" + d.sender + "</sender>\n";
  x += "<sent>" + d.sent + "</sent>\n<status>" + d.status + "</status>\n";
  x += "<msgType>" + d.msg_type + "</msgType>\n<scope>" + d.scope + "</scope>\n";
  if (d.scope == "Restricted") x += "<restriction>Cán bộ phòng chống thiên tai</restriction>\n";
  if (!d.references.empty()) x += "<references>" + d.references + "</references>\n";
  x += "<info>\n<language>" + d.language + "</language>\n<category>Met</category>\n";
  x += "<event>" + d.event + "</event>\n<urgency>" + d.urgency + "</urgency>\n";
  x += "<severity>" + d.severity + "</severity>\n<certainty>" + d.certainty + "</certainty>\n";
  if (!d.expires.empty()) x += "<expires>" + d.expires + "</expires>\n";
  x += "<senderName>" + d.sender_name + "</senderName>\n";
  x += "<headline>" + d.headline + "</headline>\n";
  x += "<description>" + d.description + "</description>\n";
  x += "<instruction>" + d.instruction + "</instruction>\n";
  x += "<area>\n<areaDesc>" + d.area_desc + "</areaDesc>\n";
  if (!d.polygon.empty()) x += "<polygon>" + d.polygon + "</polygon>\n";
  if (!d.circle.empty()) x += "<circle>" + d.circle + "</circle>\n";
  for (const std::string& g : d.geocodes) {
    x += "<geocode>\n<valueName>VN-ADM</valueName>\n<value>" + g + "</value>\n</geocode>\n";
  }
  x += "</area>\n</info>\n</alert>\n";
  return x;
}

}  // namespace nguon::testing

#include "mcpcert/mock_backend/client_metadata_documents.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::size_t max_client_id_length = 2000;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool dot_segment(std::string_view segment) {
  auto decoded = lower(segment);
  for (std::size_t at = decoded.find("%2e"); at != std::string::npos; at = decoded.find("%2e"))
    decoded.replace(at, 3, ".");
  return decoded == "." || decoded == "..";
}

bool loopback(std::string_view host) { return host.starts_with("127.") || host == "::1" || host == "localhost"; }

/// `host[:port]` of the allowed list, as host (IPv6 without brackets) and port.
std::pair<std::string, std::optional<std::uint16_t>> split_allowed(std::string_view entry) {
  std::string_view host = entry;
  std::string_view port;
  if (entry.starts_with('[')) {
    auto close = entry.find(']');
    host = entry.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    if (close != std::string_view::npos && entry.substr(close + 1).starts_with(':')) port = entry.substr(close + 2);
  } else if (auto colon = entry.rfind(':'); colon != std::string_view::npos) {
    host = entry.substr(0, colon);
    port = entry.substr(colon + 1);
  }
  std::optional<std::uint16_t> number;
  if (!port.empty()) {
    unsigned value = 0;
    for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
    number = static_cast<std::uint16_t>(value);
  }
  return {lower(host), number};
}

/// Cache-Control max-age, 0 when the answer asks not to be reused (or says nothing).
std::int64_t max_age(std::string_view cache_control) {
  auto text = lower(cache_control);
  if (text.find("no-store") != std::string::npos || text.find("no-cache") != std::string::npos) return 0;
  auto at = text.find("max-age=");
  if (at == std::string::npos) return 0;
  std::int64_t value = 0;
  for (std::size_t i = at + 8; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
    value = std::min<std::int64_t>(value * 10 + (text[i] - '0'), 1'000'000'000);
  return value;
}

} // namespace

bool is_client_id_url(std::string_view client_id) {
  auto head = lower(client_id.substr(0, 8));
  return head.starts_with("https://") || head.starts_with("http://");
}

ClientIdUrlCheck check_client_id_url(std::string_view client_id, const std::vector<std::string>& allowed_hosts) {
  auto refuse = [](std::string problem) { return ClientIdUrlCheck{std::nullopt, std::move(problem)}; };
  if (client_id.size() > max_client_id_length) return refuse("is longer than 2000 characters");
  for (unsigned char c : client_id)
    if (c <= 0x20 || c >= 0x7f) return refuse("is not a URI (space, control or non-ASCII character)");
  const bool https = client_id.starts_with("https://");
  if (!https && !client_id.starts_with("http://")) return refuse("must be an https URL (lower-case scheme)");
  if (client_id.find('#') != std::string_view::npos) return refuse("must not have a fragment");
  auto rest = client_id.substr(https ? 8 : 7);
  auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) return refuse("must not carry user information");
  auto path = rest.substr(authority.size());
  path = path.substr(0, path.find('?'));
  if (path.empty() || path == "/") return refuse("must have a path: the document's own location");
  for (std::string_view segments = path.substr(1);;) {
    auto slash = segments.find('/');
    if (dot_segment(segments.substr(0, slash))) return refuse("must not have . or .. path segments");
    if (slash == std::string_view::npos) break;
    segments.remove_prefix(slash + 1);
  }
  auto url = http::parse_url(client_id);
  if (!url) return refuse("is not a valid URL");

  const auto host = lower(url->host);
  const bool listed = std::any_of(allowed_hosts.begin(), allowed_hosts.end(), [&](const std::string& entry) {
    auto [allowed_host, port] = split_allowed(entry);
    return allowed_host == host && port.value_or(https ? 443 : 80) == url->port;
  });
  if (!listed) return refuse("is on a host this issuer does not fetch client metadata documents from");
  if (!https && !loopback(host)) return refuse("must be https (plain http only on a listed loopback host)");
  return {std::move(*url), {}};
}

ClientMetadataDocuments::ClientMetadataDocuments(std::vector<std::string> allowed_hosts,
                                                 std::set<std::string, std::less<>> scopes, const Clock& clock,
                                                 Limits limits, std::shared_ptr<const http::TlsTrust> trust)
    : allowed_hosts_(std::move(allowed_hosts)), scopes_(std::move(scopes)), clock_(clock), limits_(limits),
      trust_(std::move(trust)) {}

ClientMetadataDocuments::Hold::Hold(std::shared_ptr<Cache> cache, std::string client_id)
    : cache_(std::move(cache)), client_id_(std::move(client_id)) {}

ClientMetadataDocuments::Hold::Hold(Hold&& other) noexcept
    : cache_(std::move(other.cache_)), client_id_(std::move(other.client_id_)) {}

ClientMetadataDocuments::Hold& ClientMetadataDocuments::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    if (cache_) cache_->release(client_id_);
    cache_ = std::move(other.cache_);
    client_id_ = std::move(other.client_id_);
  }
  return *this;
}

ClientMetadataDocuments::Hold::~Hold() {
  if (cache_) cache_->release(client_id_);
}

boost::asio::awaitable<ClientMetadataDocuments::Resolution> ClientMetadataDocuments::resolve(std::string client_id) {
  Resolution out;
  if (!enabled() || !is_client_id_url(client_id)) co_return out;
  if (auto held = hold_fresh(client_id)) {
    out.hold = std::move(*held);
    co_return out;
  }
  // The host is checked before anything touches the network: a client must
  // not be able to make the issuer connect to a host it was not told to trust.
  auto check = check_client_id_url(client_id, allowed_hosts_);
  if (!check.url) {
    out.hold = keep(client_id, Entry{std::nullopt, "The client_id " + check.problem + ".", clock_.now()});
    co_return out;
  }
  DocumentFetch fetch;
  fetch.url = client_id.substr(0, client_id.find('?'));
  http::Request request{bhttp::verb::get, check.url->target, 11};
  request.set(bhttp::field::accept, "application/json");
  request.set(bhttp::field::user_agent, "mcpcert-backend");
  // http::fetch follows no redirect and stops at the body limit and the deadline;
  // over https the host's certificate must chain to the trust and name it.
  auto answer = co_await http::fetch(*check.url, std::move(request), {limits_.timeout, limits_.max_bytes, trust_.get()});
  auto entry = evaluate(client_id, answer, fetch);
  out.hold = keep(client_id, std::move(entry));
  out.fetch = std::move(fetch);
  co_return out;
}

ClientMetadataDocuments::Entry ClientMetadataDocuments::evaluate(const std::string& client_id,
                                                                 const boost::system::result<http::Response>& answer,
                                                                 DocumentFetch& fetch) const {
  const auto now = clock_.now();
  auto failed = [&](const std::string& problem) {
    return Entry{std::nullopt, "The client metadata document at " + client_id + " " + problem + ".", now};
  };
  if (!answer) {
    if (answer.error() == bhttp::error::body_limit)
      return failed("is larger than " + std::to_string(limits_.max_bytes) + " bytes");
    return failed("could not be fetched: " + answer.error().message());
  }
  fetch.status = answer->result_int();
  fetch.bytes = answer->body().size();
  if (fetch.status >= 300 && fetch.status < 400) return failed("answered with a redirect, which is not followed");
  if (fetch.status != 200) return failed("answered HTTP " + std::to_string(fetch.status));
  auto document = nlohmann::json::parse(answer->body(), nullptr, false);
  if (document.is_discarded()) return failed("is not JSON");
  auto parsed = parse_client_metadata_document(client_id, document, scopes_);
  if (!parsed.client) return failed("is refused: " + parsed.field + " " + parsed.problem);
  auto age = std::min<std::int64_t>(max_age((*answer)[bhttp::field::cache_control]), limits_.max_cache.count());
  return Entry{std::move(parsed.client), {}, now + Seconds(age)};
}

std::optional<ClientMetadataDocuments::Hold> ClientMetadataDocuments::hold_fresh(const std::string& client_id) {
  std::lock_guard lock(cache_->mutex);
  auto it = cache_->slots.find(client_id);
  if (it == cache_->slots.end() || !it->second.entry.client || clock_.now() >= it->second.entry.expires_at)
    return std::nullopt;
  ++it->second.holds;
  return Hold(cache_, client_id);
}

ClientMetadataDocuments::Hold ClientMetadataDocuments::keep(const std::string& client_id, Entry entry) {
  std::lock_guard lock(cache_->mutex);
  auto& slots = cache_->slots;
  if (!slots.contains(client_id) && slots.size() >= limits_.max_entries) {
    // Make room from documents nobody holds and nobody may reuse any more.
    const auto now = clock_.now();
    std::erase_if(slots, [&](const auto& slot) { return slot.second.holds == 0 && now >= slot.second.entry.expires_at; });
    if (slots.size() >= limits_.max_entries) {
      entry = Entry{std::nullopt, "Too many client metadata documents are in use; try again later.", now};
      // Still answered: the request gets the refusal through an entry of its own.
    }
  }
  auto& slot = slots[client_id];
  slot.entry = std::move(entry);
  ++slot.holds;
  return Hold(cache_, client_id);
}

void ClientMetadataDocuments::Cache::release(const std::string& client_id) {
  std::lock_guard lock(mutex);
  auto it = slots.find(client_id);
  if (it == slots.end()) return;
  if (--it->second.holds == 0 && !it->second.entry.client) slots.erase(it); // failures are never reused
}

ClientDocumentLookup ClientMetadataDocuments::find(std::string_view client_id) const {
  if (!enabled() || !is_client_id_url(client_id)) return {};
  std::lock_guard lock(cache_->mutex);
  auto it = cache_->slots.find(client_id);
  if (it == cache_->slots.end() || (it->second.holds == 0 && clock_.now() >= it->second.entry.expires_at))
    return {std::nullopt, "Its client metadata document was not fetched."};
  return {it->second.entry.client, it->second.entry.problem};
}

} // namespace mcpcert::backend

#pragma once
/// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
/// as the MCP 2025-11-25 authorization spec uses them): a client_id that is a
/// URL names a JSON document describing the client. The issuer fetches one
/// only from a host the tenant's config lists (so a client can't make it call
/// an arbitrary URL), caches it on the shared clock, and reports every fetch
/// so the audit can show what the issuer fetched.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/mock_backend/client_registry.hpp"

namespace mcpcert::backend {

/// Whether `client_id` is meant as a document URL (its scheme is http or https).
bool is_client_id_url(std::string_view client_id);

struct ClientIdUrlCheck {
  std::optional<http::Url> url;
  std::string problem; ///< why not, when `url` is empty
};

/// The draft's URL rules (a path other than "/", no fragment, no user
/// information, no dot segments), then the tenant's list: `host[:port]`
/// listed (no port: the scheme's default), https, or plain http only on a
/// listed loopback host. Decided on the text alone, before any connection.
ClientIdUrlCheck check_client_id_url(std::string_view client_id, const std::vector<std::string>& allowed_hosts);

/// One fetch the issuer made, for the audit.
struct DocumentFetch {
  std::string url; ///< without its query
  unsigned status = 0; ///< 0: no HTTP answer (refused, timed out, too large)
  std::size_t bytes = 0;
};

struct ClientDocumentLookup {
  std::optional<OAuthClient> client;
  std::string problem; ///< why there is no client, for the error page or invalid_client
};

/// Thread-safe.
class ClientMetadataDocuments {
public:
  struct Limits {
    std::size_t max_bytes = 5 * 1024;
    std::chrono::milliseconds timeout{5'000};
    /// Cache-Control max-age is honoured up to this; without it a document is not reused.
    Seconds max_cache{3600};
    std::size_t max_entries = 1'000;
  };

  /// Empty `allowed_hosts`: documents are off, and a URL client_id is just an unknown client.
  /// `trust`: whose certificates an https host may present; null: the machine's store.
  ClientMetadataDocuments(std::vector<std::string> allowed_hosts, std::set<std::string, std::less<>> scopes,
                          const Clock& clock, Limits limits, std::shared_ptr<const http::TlsTrust> trust = nullptr);
  ClientMetadataDocuments(const ClientMetadataDocuments&) = delete;
  ClientMetadataDocuments& operator=(const ClientMetadataDocuments&) = delete;

  bool enabled() const { return !allowed_hosts_.empty(); }

private:
  struct Cache;

public:
  /// Keeps a document usable, whatever its cache age, while the request that
  /// resolved it is being handled. Shares the cache, so a hold in a request
  /// frame torn down after the backend still releases safely.
  class Hold {
  public:
    Hold() = default;
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&& other) noexcept;
    ~Hold();

  private:
    friend class ClientMetadataDocuments;
    Hold(std::shared_ptr<Cache> cache, std::string client_id);
    std::shared_ptr<Cache> cache_;
    std::string client_id_;
  };

  struct Resolution {
    Hold hold;
    std::optional<DocumentFetch> fetch; ///< set when this call fetched
  };

  /// Before a request naming `client_id` is handled: fetches its document
  /// unless a fresh one is cached. Asynchronous on the caller's executor, so
  /// a slow document host never blocks the io_context's threads.
  boost::asio::awaitable<Resolution> resolve(std::string client_id);

  /// The client the document describes, or why there is none. For the
  /// synchronous request handlers, after resolve.
  ClientDocumentLookup find(std::string_view client_id) const;

private:
  struct Entry {
    std::optional<OAuthClient> client;
    std::string problem;
    TimePoint expires_at; ///< a failure is never fresh
  };
  struct Slot {
    Entry entry;
    int holds = 0;
  };
  struct Cache {
    std::mutex mutex;
    std::map<std::string, Slot, std::less<>> slots;
    void release(const std::string& client_id);
  };

  /// A hold on a fresh cached document, or nullopt when it must be fetched.
  std::optional<Hold> hold_fresh(const std::string& client_id);
  Hold keep(const std::string& client_id, Entry entry);
  Entry evaluate(const std::string& client_id, const boost::system::result<http::Response>& answer,
                 DocumentFetch& fetch) const;

  std::vector<std::string> allowed_hosts_;
  std::set<std::string, std::less<>> scopes_;
  const Clock& clock_;
  Limits limits_;
  std::shared_ptr<const http::TlsTrust> trust_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

} // namespace mcpcert::backend

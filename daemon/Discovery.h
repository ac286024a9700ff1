#pragma once

#include "OAuthMetadata.h"

#include <QObject>

#include <functional>
#include <optional>

namespace latchkey {

class HttpFetcher;

struct DiscoveryResult
{
    QString serverUrl;
    QString resource; // the canonical server URI: which server this is
    // What goes out as `resource` (RFC 8707): the Protected Resource Metadata's `resource` exactly as
    // published (2026-07-28: no re-normalising, which would add "/" to a pathless identifier), else `resource`.
    QString resourceIndicator;
    bool authRequired = true;
    bool legacy = false;
    QString resourceMetadataUrl;
    std::optional<ProtectedResourceMetadata> protectedResource;
    AuthorizationServerMetadata authorizationServer;
    oauth::ScopeSet scopes; // what sign-in asks for
};

// Finds out how a remote MCP server wants to be authorized (mcp-auth.md items 1-4, 6):
// the 401 challenge, Protected Resource Metadata (hint, path-inserted, root) with the resource check,
// AS metadata in the specified order with the issuer check, PKCE S256, and the 2025-03-26 fallback.
// Every refusal names the rule it enforces. Nothing is stored here.
class Discovery : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const std::optional<DiscoveryResult> &result, const QString &error)>;

    explicit Discovery(HttpFetcher &http, QObject *parent = nullptr);

    // challenge: the WWW-Authenticate of a 401 (or 403) the server already gave a client. It stands in
    // for the probe, which matters for servers that answer an unauthenticated initialize but protect
    // other requests.
    void discover(const QString &serverUrl, Callback done, const QList<QByteArray> &challenge = {});

private:
    struct Run;
    void probe(std::shared_ptr<Run> run);
    void endProbeSession(const QString &serverUrl, const QByteArray &session);
    void challenged(std::shared_ptr<Run> run, const QList<QByteArray> &challenge);
    void fetchProtectedResource(std::shared_ptr<Run> run, int index);
    void fetchAuthorizationServer(std::shared_ptr<Run> run, int index);
    void finish(std::shared_ptr<Run> run);

    HttpFetcher &m_http;
};

} // namespace latchkey

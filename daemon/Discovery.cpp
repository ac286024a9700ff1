#include "Discovery.h"

#include "HttpFetcher.h"
#include "ResourceUri.h"
#include "WellKnown.h"
#include "WwwAuthenticate.h"

#include <algorithm>

namespace latchkey {

using oauth::ResourceUri;
using oauth::ScopeSet;
using oauth::WellKnown;
using oauth::WwwAuthenticate;

struct Discovery::Run
{
    Callback done;
    DiscoveryResult result;
    int probeStatus = 0;
    QString challengeScope;
    QString resourceMetadataHint;
    QList<QUrl> candidates;
    QString issuer;
    QString lastError;
};

namespace {

const HttpFetcher::Headers kJson = {{"Accept", "application/json"}};

// The issuer a metadata document names, or empty.
QString namedIssuer(const QByteArray &body)
{
    try {
        const auto doc = nlohmann::json::parse(body.cbegin(), body.cend());
        const auto it = doc.find("issuer");
        if (doc.is_object() && it != doc.end() && it->is_string()) {
            return QString::fromStdString(it->get<std::string>());
        }
    } catch (const std::exception &) {
    }
    return {};
}

bool sameOrigin(const QString &a, const QString &b)
{
    const QUrl x(a, QUrl::StrictMode);
    const QUrl y(b, QUrl::StrictMode);
    return x.isValid() && y.isValid() && !x.host().isEmpty() && x.scheme() == y.scheme() && x.host() == y.host() &&
           x.port(x.scheme() == u"https" ? 443 : 80) == y.port(y.scheme() == u"https" ? 443 : 80);
}

} // namespace

Discovery::Discovery(HttpFetcher &http, QObject *parent) : QObject(parent), m_http(http) {}

void Discovery::discover(const QString &serverUrl, Callback done, const QList<QByteArray> &challenge)
{
    auto run = std::make_shared<Run>();
    run->done = std::move(done);
    run->result.serverUrl = serverUrl.trimmed();
    const ResourceUri resource = ResourceUri::fromServerUrl(run->result.serverUrl);
    if (!resource.isValid()) {
        run->done(std::nullopt, QStringLiteral("not a usable server URL: %1").arg(resource.errorString()));
        return;
    }
    run->result.resource = resource.toString();
    run->result.resourceIndicator = run->result.resource;
    if (!challenge.isEmpty()) {
        challenged(run, challenge);
        return;
    }
    probe(run);
}

void Discovery::challenged(std::shared_ptr<Run> run, const QList<QByteArray> &challenge)
{
    run->probeStatus = 401;
    const WwwAuthenticate header = WwwAuthenticate::parse(challenge);
    if (const auto *bearer = header.find("bearer")) {
        run->resourceMetadataHint = QString::fromUtf8(bearer->param("resource_metadata"));
        run->challengeScope = QString::fromUtf8(bearer->param("scope"));
    }
    run->candidates = WellKnown::protectedResourceMetadataUrls(run->result.serverUrl, run->resourceMetadataHint);
    fetchProtectedResource(run, 0);
}

void Discovery::probe(std::shared_ptr<Run> run)
{
    // An unauthenticated initialize: a protected server answers 401 with its challenge (MCP authorization,
    // "Authorization Server Location").
    const QByteArray initialize =
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},)"
        R"("clientInfo":{"name":"latchkey","version":")" LATCHKEY_VERSION R"("}}})";
    m_http.post(QUrl(run->result.serverUrl), "application/json", initialize,
                {{"Accept", "application/json, text/event-stream"}}, [this, run](const HttpResponse &response) {
                    if (!response.error.isEmpty()) {
                        run->done(std::nullopt, QStringLiteral("cannot reach the server: %1").arg(response.error));
                        return;
                    }
                    if (response.status >= 200 && response.status < 300) {
                        endProbeSession(run->result.serverUrl, response.header("Mcp-Session-Id"));
                        run->probeStatus = response.status;
                        run->result.authRequired = false;
                        run->done(run->result, {});
                        return;
                    }
                    if (response.status == 401) {
                        challenged(run, response.headerValues("WWW-Authenticate"));
                        return;
                    }
                    run->probeStatus = response.status;
                    run->candidates = WellKnown::protectedResourceMetadataUrls(run->result.serverUrl, {});
                    fetchProtectedResource(run, 0);
                });
}

void Discovery::endProbeSession(const QString &serverUrl, const QByteArray &session)
{
    // The probe's initialize opened a session on a server that needs no sign-in: end it (Streamable HTTP,
    // "Session Management") rather than leave it to the server's idle timeout. Visible ASCII only.
    const bool usable = !session.isEmpty() && session.size() <= 1024 &&
                        std::all_of(session.begin(), session.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
    if (usable) {
        m_http.deleteResource(QUrl(serverUrl), {{"Mcp-Session-Id", session}}, [](const HttpResponse &) {});
    }
}

void Discovery::fetchProtectedResource(std::shared_ptr<Run> run, int index)
{
    if (index >= run->candidates.size()) {
        if (run->probeStatus != 401) {
            run->done(std::nullopt,
                      QStringLiteral("the server answered HTTP %1 without authentication and publishes no "
                                     "protected resource metadata")
                          .arg(run->probeStatus));
            return;
        }
        // A 2025-03-26 server: its origin is the authorization base.
        run->result.legacy = true;
        run->issuer = WellKnown::legacyAuthorizationBase(run->result.serverUrl);
        run->candidates = WellKnown::authorizationServerMetadataUrls(run->issuer);
        fetchAuthorizationServer(run, 0);
        return;
    }
    const QUrl url = run->candidates.at(index);
    m_http.get(url, kJson, [this, run, index, url](const HttpResponse &response) {
        if (!response.ok()) {
            fetchProtectedResource(run, index + 1);
            return;
        }
        QString error;
        auto prm = ProtectedResourceMetadata::parse(response.body, &error);
        if (!prm) {
            run->lastError = error;
            fetchProtectedResource(run, index + 1);
            return;
        }
        if (!ResourceUri::prmResourceMatchesServer(prm->resource, run->result.serverUrl)) {
            run->done(std::nullopt, QStringLiteral("protected resource metadata at %1 is for \"%2\", not for %3 "
                                                   "(RFC 9728 §3.3): refusing to use it")
                                        .arg(url.toDisplayString(), prm->resource, run->result.serverUrl));
            return;
        }
        run->result.resourceMetadataUrl = url.toString();
        run->result.resourceIndicator = prm->resource;
        run->result.protectedResource = prm;
        // The first authorization server we can use; the rest are alternatives we do not need.
        run->issuer = prm->authorizationServers.front();
        run->candidates = WellKnown::authorizationServerMetadataUrls(run->issuer);
        if (run->candidates.isEmpty()) {
            run->done(std::nullopt, QStringLiteral("authorization server \"%1\" is not a usable issuer (https, or http "
                                                   "only on loopback)")
                                        .arg(run->issuer));
            return;
        }
        fetchAuthorizationServer(run, 0);
    });
}

void Discovery::fetchAuthorizationServer(std::shared_ptr<Run> run, int index)
{
    if (index >= run->candidates.size()) {
        if (run->result.legacy && run->lastError.isEmpty()) {
            // No metadata anywhere: the 2025-03-26 default endpoints on the server's origin.
            run->result.authorizationServer = AuthorizationServerMetadata::legacyDefaults(run->result.serverUrl);
            finish(run);
            return;
        }
        run->done(std::nullopt,
                  run->lastError.isEmpty()
                      ? QStringLiteral("no authorization server metadata found for issuer \"%1\"").arg(run->issuer)
                      : run->lastError);
        return;
    }
    m_http.get(run->candidates.at(index), kJson, [this, run, index](const HttpResponse &response) {
        if (!response.ok()) {
            fetchAuthorizationServer(run, index + 1);
            return;
        }
        QString error;
        bool wrongIssuer = false;
        auto as = AuthorizationServerMetadata::parse(response.body, run->issuer, &error, &wrongIssuer);
        if (!as && wrongIssuer && run->result.legacy) {
            // 2025-03-26 (no PRM): the metadata at the server's own origin is the server's word, and the
            // issuer it names may carry a path (https://host/oauth). Taken on that same origin only; the
            // issuer it names is then the one the RFC 9207 check holds the answer to.
            const QString named = namedIssuer(response.body);
            if (sameOrigin(named, run->result.serverUrl)) {
                as = AuthorizationServerMetadata::parse(response.body, named, &error);
                if (as) {
                    run->issuer = named;
                }
            }
        }
        if (!as) {
            run->lastError = error;
            // A document for another issuer is skipped (RFC 8414 §3.3); any other fault is final.
            if (wrongIssuer) {
                fetchAuthorizationServer(run, index + 1);
            } else {
                run->done(std::nullopt, error);
            }
            return;
        }
        run->result.authorizationServer = *as;
        finish(run);
    });
}

void Discovery::finish(std::shared_ptr<Run> run)
{
    // mcp-auth.md item 6: the challenge's scope, else everything the resource supports, else none.
    ScopeSet scopes = ScopeSet::parse(run->challengeScope);
    if (scopes.isEmpty() && run->result.protectedResource) {
        scopes = run->result.protectedResource->scopesSupported;
    }
    if (run->result.authorizationServer.scopesSupported.contains(QStringLiteral("offline_access"))) {
        scopes.insert(QStringLiteral("offline_access"));
    }
    run->result.scopes = scopes;
    run->done(run->result, {});
}

} // namespace latchkey

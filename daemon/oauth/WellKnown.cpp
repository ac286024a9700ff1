#include "WellKnown.h"

#include "EndpointPolicy.h"
#include "ResourceUri.h"

namespace latchkey::oauth {

namespace {

const QString ProtectedResourceSuffix = QStringLiteral("/.well-known/oauth-protected-resource");
const QString AuthorizationServerSuffix = QStringLiteral("/.well-known/oauth-authorization-server");
const QString OpenIdSuffix = QStringLiteral("/.well-known/openid-configuration");

// The canonical URL of an identifier we may talk to, or an invalid QUrl.
QUrl usable(const ResourceUri &uri)
{
    if (!uri.isValid() || !EndpointPolicy::checkEndpoint(uri.toString()).isEmpty()) {
        return {};
    }
    return uri.toUrl();
}

QString originOf(const QUrl &url)
{
    return url.scheme() + QStringLiteral("://") + url.authority(QUrl::FullyEncoded);
}

QString pathWithoutTerminatingSlash(const QUrl &url)
{
    QString path = url.path(QUrl::FullyEncoded);
    if (path.endsWith(u'/')) {
        path.chop(1);
    }
    return path;
}

void appendUnique(QList<QUrl> &list, const QString &encoded)
{
    const QUrl url = QUrl::fromEncoded(encoded.toLatin1(), QUrl::StrictMode);
    if (url.isValid() && !list.contains(url)) {
        list.append(url);
    }
}

} // namespace

QList<QUrl> WellKnown::protectedResourceMetadataUrls(const QString &serverUrl)
{
    const QUrl server = usable(ResourceUri::fromServerUrl(serverUrl));
    if (!server.isValid()) {
        return {};
    }
    const QString origin = originOf(server);
    const QString path = pathWithoutTerminatingSlash(server);
    const QString query = server.hasQuery() ? u'?' + server.query(QUrl::FullyEncoded) : QString();
    QList<QUrl> urls;
    if (!path.isEmpty() || !query.isEmpty()) {
        appendUnique(urls, origin + ProtectedResourceSuffix + path + query);
    }
    appendUnique(urls, origin + ProtectedResourceSuffix);
    return urls;
}

QList<QUrl> WellKnown::protectedResourceMetadataUrls(const QString &serverUrl, const QString &resourceMetadata)
{
    const QUrl server = usable(ResourceUri::fromServerUrl(serverUrl));
    if (!server.isValid()) {
        return {};
    }
    if (!resourceMetadata.isEmpty() && EndpointPolicy::checkEndpoint(resourceMetadata).isEmpty()) {
        const QUrl hint(resourceMetadata, QUrl::StrictMode);
        if (!EndpointPolicy::isLoopbackHost(hint) || EndpointPolicy::isLoopbackHost(server)) {
            return {hint};
        }
    }
    return protectedResourceMetadataUrls(serverUrl);
}

QList<QUrl> WellKnown::authorizationServerMetadataUrls(const QString &issuer)
{
    const QUrl url = usable(ResourceUri::fromIdentifier(issuer));
    if (!url.isValid() || url.hasQuery() || issuer.contains(u'?')) {
        return {};
    }
    const QString origin = originOf(url);
    const QString path = pathWithoutTerminatingSlash(url);
    QList<QUrl> urls;
    if (path.isEmpty()) {
        appendUnique(urls, origin + AuthorizationServerSuffix);
        appendUnique(urls, origin + OpenIdSuffix);
    } else {
        appendUnique(urls, origin + AuthorizationServerSuffix + path);
        appendUnique(urls, origin + OpenIdSuffix + path);
        appendUnique(urls, origin + path + OpenIdSuffix);
    }
    return urls;
}

QString WellKnown::legacyAuthorizationBase(const QString &serverUrl)
{
    const QUrl server = usable(ResourceUri::fromServerUrl(serverUrl));
    return server.isValid() ? originOf(server) : QString();
}

QUrl WellKnown::legacyEndpoint(const QString &serverUrl, LegacyEndpoint which)
{
    const QString base = legacyAuthorizationBase(serverUrl);
    if (base.isEmpty()) {
        return {};
    }
    switch (which) {
    case LegacyEndpoint::Authorize:
        return QUrl(base + QStringLiteral("/authorize"), QUrl::StrictMode);
    case LegacyEndpoint::Token:
        return QUrl(base + QStringLiteral("/token"), QUrl::StrictMode);
    case LegacyEndpoint::Register:
        return QUrl(base + QStringLiteral("/register"), QUrl::StrictMode);
    }
    return {};
}

} // namespace latchkey::oauth

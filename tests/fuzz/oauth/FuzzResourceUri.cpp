// libFuzzer target: ResourceUri, WellKnown and EndpointPolicy on arbitrary text. The input is split
// at the first newline into two URLs (a PRM resource and a server URL, or a hint and a server URL).
// Checks: canonicalization is idempotent and yields what it promises, matching is consistent, and
// every URL WellKnown constructs passes EndpointPolicy.
#include "EndpointPolicy.h"
#include "ResourceUri.h"
#include "WellKnown.h"

#include <cstdint>
#include <cstdlib>

using latchkey::oauth::EndpointPolicy;
using latchkey::oauth::ResourceUri;
using latchkey::oauth::WellKnown;

namespace {

void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

void checkCanonical(const ResourceUri &uri)
{
    require(uri.isValid() == uri.errorString().isEmpty());
    if (!uri.isValid()) {
        require(uri.toString().isEmpty());
        return;
    }
    const QString canonical = uri.toString();
    require(canonical.startsWith(QStringLiteral("https://")) || canonical.startsWith(QStringLiteral("http://")));
    require(!canonical.contains(u'#'));
    require(!uri.toUrl().hasQuery() || !uri.toUrl().query(QUrl::FullyEncoded).isEmpty());
    require(!uri.toUrl().authority().contains(u'@'));
    require(uri.toUrl().port() != (canonical.startsWith(QStringLiteral("https")) ? 443 : 80));
    // Idempotent, for both entry points.
    require(ResourceUri::fromServerUrl(canonical).toString() == canonical);
    require(ResourceUri::fromIdentifier(canonical).toString() == canonical);
    require(uri.covers(uri));
}

void checkWellKnown(const QString &server, const QString &hint)
{
    const QList<QUrl> constructed = WellKnown::protectedResourceMetadataUrls(server);
    require(constructed.size() <= 2);
    for (const QUrl &url : constructed) {
        require(EndpointPolicy::checkEndpoint(QString::fromLatin1(url.toEncoded())).isEmpty());
    }
    const QList<QUrl> withHint = WellKnown::protectedResourceMetadataUrls(server, hint);
    require(withHint == constructed || (withHint.size() == 1 && EndpointPolicy::checkEndpoint(hint).isEmpty()));

    const QList<QUrl> as = WellKnown::authorizationServerMetadataUrls(server);
    require(as.isEmpty() || as.size() == 2 || as.size() == 3);
    for (const QUrl &url : as) {
        require(EndpointPolicy::checkEndpoint(QString::fromLatin1(url.toEncoded())).isEmpty());
    }
    const QString base = WellKnown::legacyAuthorizationBase(server);
    require(base.isEmpty() == constructed.isEmpty());
    if (!base.isEmpty()) {
        require(WellKnown::authorizationServerMetadataUrls(base).size() == 2);
        require(
            EndpointPolicy::checkEndpoint(
                QString::fromLatin1(WellKnown::legacyEndpoint(server, WellKnown::LegacyEndpoint::Token).toEncoded()))
                .isEmpty());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const qsizetype newline = text.indexOf(u'\n');
    const QString first = newline < 0 ? text : text.first(newline);
    const QString second = newline < 0 ? text : text.sliced(newline + 1);

    const ResourceUri server = ResourceUri::fromServerUrl(first);
    const ResourceUri identifier = ResourceUri::fromIdentifier(first);
    checkCanonical(server);
    checkCanonical(identifier);
    // fromIdentifier accepts a subset of fromServerUrl, with the same result.
    require(!identifier.isValid() || identifier == server);

    const ResourceUri other = ResourceUri::fromServerUrl(second);
    checkCanonical(other);
    const bool matches = ResourceUri::prmResourceMatchesServer(first, second);
    require(matches == identifier.covers(other));
    if (matches) {
        require(identifier.toUrl().scheme() == other.toUrl().scheme());
        require(identifier.toUrl().host() == other.toUrl().host());
        require(identifier.toUrl().port() == other.toUrl().port());
    }
    if (identifier.isValid() && other.isValid() && identifier == other) {
        require(matches);
    }

    const QString endpointVerdict = EndpointPolicy::checkEndpoint(first);
    if (endpointVerdict.isEmpty()) {
        require(EndpointPolicy::checkBrowserUrl(first).isEmpty());
    }

    checkWellKnown(first, second);
    return 0;
}

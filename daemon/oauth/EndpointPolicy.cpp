#include "EndpointPolicy.h"

namespace latchkey::oauth {

QString EndpointPolicy::checkEndpoint(const QString &url)
{
    return check(url, MaxEndpointLength, false);
}

QString EndpointPolicy::checkBrowserUrl(const QString &url)
{
    return check(url, MaxBrowserUrlLength, true);
}

bool EndpointPolicy::isLoopbackHost(const QUrl &url)
{
    const QString host = url.host(QUrl::FullyEncoded).toLower();
    return host == u"127.0.0.1" || host == u"::1" || host == u"localhost";
}

QString EndpointPolicy::check(const QString &url, qsizetype maxLength, bool allowFragment)
{
    if (url.isEmpty()) {
        return QStringLiteral("the URL is empty");
    }
    if (url.size() > maxLength) {
        return QStringLiteral("the URL is longer than %1 characters").arg(maxLength);
    }
    for (const QChar c : url) {
        if (c.unicode() < 0x21 || c.unicode() > 0x7E || c == u'\\') {
            return QStringLiteral("the URL contains a space, control, backslash or non-ASCII character");
        }
    }
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid() || parsed.isRelative()) {
        return QStringLiteral("not a valid absolute URL");
    }
    const bool https = parsed.scheme() == u"https";
    if (!https && parsed.scheme() != u"http") {
        return QStringLiteral("the URL must use https");
    }
    if (parsed.host().isEmpty()) {
        return QStringLiteral("the URL has no host");
    }
    if (!parsed.userInfo().isEmpty() || parsed.authority(QUrl::FullyEncoded).contains(u'@')) {
        return QStringLiteral("the URL must not contain a user name or password");
    }
    if (!https && !isLoopbackHost(parsed)) {
        return QStringLiteral("the URL must use https (http only for 127.0.0.1, [::1] or localhost)");
    }
    if (!allowFragment && (parsed.hasFragment() || url.contains(u'#'))) {
        return QStringLiteral("an endpoint URL must not contain a fragment");
    }
    return {};
}

} // namespace latchkey::oauth

#include "ResourceUri.h"

#include <QStringList>

namespace latchkey::oauth {

namespace {

bool isDotSegment(QStringView segment)
{
    return segment == u"." || segment == u".." || segment.compare(u"%2e", Qt::CaseInsensitive) == 0 ||
           segment.compare(u"%2e%2e", Qt::CaseInsensitive) == 0 || segment.compare(u".%2e", Qt::CaseInsensitive) == 0 ||
           segment.compare(u"%2e.", Qt::CaseInsensitive) == 0;
}

bool hasDotSegment(const QString &path)
{
    for (const QStringView segment : QStringView(path).split(u'/')) {
        if (isDotSegment(segment)) {
            return true;
        }
    }
    return false;
}

} // namespace

ResourceUri ResourceUri::fromServerUrl(const QString &url)
{
    return parse(url, Fragment::Drop);
}

ResourceUri ResourceUri::fromIdentifier(const QString &identifier)
{
    return parse(identifier, Fragment::Refuse);
}

ResourceUri ResourceUri::parse(const QString &text, Fragment fragment)
{
    ResourceUri result;
    const auto refuse = [&result](const QString &why) {
        result.m_error = why;
        return result;
    };
    if (text.isEmpty()) {
        return refuse(QStringLiteral("the URL is empty"));
    }
    if (text.size() > MaxLength) {
        return refuse(QStringLiteral("the URL is longer than %1 characters").arg(MaxLength));
    }
    QUrl url(text, QUrl::StrictMode);
    if (!url.isValid()) {
        return refuse(QStringLiteral("not a valid URL"));
    }
    if (url.scheme() != u"https" && url.scheme() != u"http") {
        return refuse(QStringLiteral("the URL must start with https:// or http://"));
    }
    if (url.host().isEmpty()) {
        return refuse(QStringLiteral("the URL has no host"));
    }
    if (!url.userInfo().isEmpty() || url.authority(QUrl::FullyEncoded).contains(u'@')) {
        return refuse(QStringLiteral("the URL must not contain a user name or password"));
    }
    if (url.hasFragment()) {
        if (fragment == Fragment::Refuse) {
            return refuse(QStringLiteral("a resource identifier must not contain a fragment"));
        }
        url.setFragment(QString());
    }
    const QString path = url.path(QUrl::FullyEncoded);
    if (hasDotSegment(path)) {
        return refuse(QStringLiteral("the URL path must not contain '.' or '..' segments"));
    }
    const int defaultPort = url.scheme() == u"https" ? 443 : 80;
    if (url.port() == defaultPort) {
        url.setPort(-1);
    }
    if (path == u"/") {
        url.setPath(QString());
    }
    if (url.hasQuery() && url.query(QUrl::FullyEncoded).isEmpty()) {
        url.setQuery(QString());
    }
    result.m_canonical = QString::fromLatin1(url.toEncoded());
    result.m_url = url;
    return result;
}

bool ResourceUri::covers(const ResourceUri &server) const
{
    if (!isValid() || !server.isValid()) {
        return false;
    }
    const QUrl &mine = m_url;
    const QUrl &theirs = server.m_url;
    if (mine.scheme() != theirs.scheme() || mine.host(QUrl::FullyEncoded) != theirs.host(QUrl::FullyEncoded) ||
        mine.port() != theirs.port()) {
        return false;
    }
    if (mine.hasQuery()) {
        return m_canonical == server.m_canonical;
    }
    QString prefix = mine.path(QUrl::FullyEncoded);
    if (prefix.endsWith(u'/')) {
        prefix.chop(1);
    }
    if (prefix.isEmpty()) {
        return true;
    }
    const QString path = theirs.path(QUrl::FullyEncoded);
    return path == prefix || (path.startsWith(prefix) && path.at(prefix.size()) == u'/');
}

bool ResourceUri::prmResourceMatchesServer(const QString &prmResource, const QString &serverUrl)
{
    return fromIdentifier(prmResource).covers(fromServerUrl(serverUrl));
}

} // namespace latchkey::oauth

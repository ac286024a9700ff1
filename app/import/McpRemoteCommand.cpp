#include "McpRemoteCommand.h"

#include <QRegularExpression>

#include <algorithm>

namespace latchkey::import {

namespace {

// The program's name without directory and Windows extension: "npx", "mcp-remote".
QString programName(const QString &command)
{
    QString base = command.section(QLatin1Char('/'), -1).section(QLatin1Char('\\'), -1);
    for (const char *suffix : {".cmd", ".exe", ".ps1"}) {
        if (base.endsWith(QLatin1String(suffix), Qt::CaseInsensitive)) {
            base.chop(4);
            break;
        }
    }
    return base;
}

bool isMcpRemotePackage(const QString &arg)
{
    static const QRegularExpression package(QStringLiteral(R"(^mcp-remote(@[A-Za-z0-9._^~<>=*+-]+)?$)"));
    return package.match(arg).hasMatch();
}

} // namespace

bool McpRemoteCommand::launches(const QString &command, const QStringList &args, qsizetype *first)
{
    const QString program = programName(command);
    qsizetype index = 0;
    // Windows configurations often go through `cmd /c npx …`.
    if (program.compare(QStringLiteral("cmd"), Qt::CaseInsensitive) == 0 && args.size() > 1 &&
        args.front().compare(QStringLiteral("/c"), Qt::CaseInsensitive) == 0) {
        qsizetype inner = 0;
        if (!launches(args.at(1), args.mid(2), &inner)) {
            return false;
        }
        if (first) {
            *first = inner + 2;
        }
        return true;
    }
    if (program == QStringLiteral("npx")) {
        // Only npx's own "just run it" options: anything else (-p, --package, -c) runs something we would
        // have to guess at.
        static const QStringList npxFlags{QStringLiteral("-y"), QStringLiteral("--yes"), QStringLiteral("-q"),
                                          QStringLiteral("--quiet")};
        while (index < args.size() && npxFlags.contains(args.at(index))) {
            ++index;
        }
        if (index == args.size() || !isMcpRemotePackage(args.at(index))) {
            return false;
        }
        ++index;
    } else if (program != QStringLiteral("mcp-remote")) {
        return false;
    }
    if (first) {
        *first = index;
    }
    return true;
}

McpRemoteCommand McpRemoteCommand::parse(const QStringList &arguments)
{
    McpRemoteCommand out;
    const auto refuse = [&out](const QString &why) {
        out.m_problem = why;
        return out;
    };
    // Flags whose value only matters to mcp-remote's own OAuth callback.
    static const QStringList callbackFlags{QStringLiteral("--host"), QStringLiteral("--callback-path"),
                                           QStringLiteral("--auth-timeout")};
    static const QStringList harmlessSwitches{QStringLiteral("--allow-http"), QStringLiteral("--debug"),
                                              QStringLiteral("--silent"), QStringLiteral("--clean")};
    static const QRegularExpression header(QStringLiteral(R"(^([A-Za-z0-9_-]+):\s*(.*)\z)"));
    QStringList positional;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        const bool hasValue = i + 1 < arguments.size();
        if (arg == QStringLiteral("--header")) {
            const auto match = hasValue ? header.match(arguments.at(i + 1)) : QRegularExpressionMatch();
            if (!match.hasMatch()) {
                return refuse(QStringLiteral("a --header that is not \"Name: value\" (mcp-remote ignores it)"));
            }
            // mcp-remote keeps headers in an object: a name given again replaces the earlier value.
            const auto same = std::find_if(out.m_headers.begin(), out.m_headers.end(),
                                           [&match](const auto &h) { return h.first == match.captured(1); });
            if (same != out.m_headers.end()) {
                same->second = match.captured(2);
            } else {
                out.m_headers.append({match.captured(1), match.captured(2)});
            }
            ++i;
        } else if (arg == QStringLiteral("--transport")) {
            const QString transport = hasValue ? arguments.at(i + 1) : QString();
            if (transport == QStringLiteral("sse-only") || transport == QStringLiteral("sse-first")) {
                return refuse(QStringLiteral("--transport %1: latchkey connect speaks Streamable HTTP only, not the "
                                             "older HTTP+SSE transport")
                                  .arg(transport));
            }
            if (transport != QStringLiteral("http-only") && transport != QStringLiteral("http-first")) {
                return refuse(QStringLiteral("a --transport value mcp-remote does not know"));
            }
            out.m_dropped << arg + QLatin1Char(' ') + transport;
            ++i;
        } else if (callbackFlags.contains(arg)) {
            if (!hasValue) {
                return refuse(QStringLiteral("%1 without a value").arg(arg));
            }
            out.m_dropped << arg;
            ++i;
        } else if (harmlessSwitches.contains(arg)) {
            out.m_dropped << arg;
        } else if (arg.startsWith(QLatin1Char('-'))) {
            // Includes the "--flag=value" spelling, which mcp-remote does not read either.
            return refuse(
                QStringLiteral("%1, which Latchkey does not take over").arg(arg.section(QLatin1Char('='), 0, 0)));
        } else {
            positional << arg;
        }
    }
    if (positional.isEmpty()) {
        return refuse(QStringLiteral("no server URL"));
    }
    static const QRegularExpression port(QStringLiteral("^[0-9]{1,5}$"));
    if (positional.size() > 2 || (positional.size() == 2 && !port.match(positional.at(1)).hasMatch())) {
        return refuse(QStringLiteral("arguments after the URL that are neither a port nor a flag"));
    }
    if (positional.size() == 2) {
        out.m_dropped << QStringLiteral("the callback port");
    }
    out.m_url = positional.front();
    return out;
}

} // namespace latchkey::import

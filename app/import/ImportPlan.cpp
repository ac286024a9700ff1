#include "ImportPlan.h"
#include "JsonFields.h"

#include "ConfigRewriter.h"
#include "McpClientKind.h"
#include "SecretRule.h"

#include <QRegularExpression>
#include <QSet>
#include <QUrl>

namespace latchkey::import {

namespace {

using Json = nlohmann::json;
using Ordered = nlohmann::ordered_json;

std::string utf8(const QString &text)
{
    return text.toStdString();
}

// A Latchkey server name from an entry name: 1–64 letters, digits, '.', '_', '-', starting alphanumeric.
QString serverNameFor(const QString &entry)
{
    QString name;
    for (const QChar c : entry) {
        const bool alnum = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9');
        if (alnum || (!name.isEmpty() && (c == u'.' || c == u'_' || c == u'-'))) {
            name += c;
        } else if (!name.isEmpty()) {
            name += QLatin1Char('-');
        }
    }
    name = name.left(64);
    return name.isEmpty() ? QStringLiteral("server") : name;
}

bool isEnvName(const QString &name)
{
    if (name.isEmpty() || name.size() > 128 || name.front().isDigit()) {
        return false;
    }
    return std::all_of(name.cbegin(), name.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'_';
    });
}

// For comparing a URL with the records Latchkey has: scheme and host lowercase, no fragment, no
// trailing slash.
QString comparable(const QString &text)
{
    QUrl url(text.trimmed());
    url.setScheme(url.scheme().toLower());
    url.setHost(url.host().toLower());
    url.setFragment({});
    QString out = url.toString(QUrl::FullyEncoded);
    while (out.endsWith(QLatin1Char('/'))) {
        out.chop(1);
    }
    return out;
}

Ordered stringArray(const QStringList &items)
{
    Ordered out = Ordered::array();
    for (const QString &item : items) {
        out.push_back(utf8(item));
    }
    return out;
}

// Why a remote entry's URL cannot be recorded (it carries a secret), or nothing.
QString urlSecretReason(const QString &url)
{
    const auto found = SecretRule::inArguments({url});
    return found.isEmpty() ? QString()
                           : QStringLiteral("its URL carries what looks like a secret (%1), and Latchkey records "
                                            "URLs in plain text. Send it in a header instead if the server accepts "
                                            "one")
                                 .arg(found.front().shown);
}

} // namespace

ImportPlan ImportPlan::build(const McpConfig &config, const Json &existingServers, const QString &program)
{
    ImportPlan plan;
    plan.m_config = config;
    plan.m_program = program;
    QSet<QString> taken;
    if (existingServers.is_array()) {
        for (const Json &server : existingServers) {
            taken.insert(ipc::jsonString(server, "name"));
        }
    }
    QSet<QString> planned;
    for (const McpEntry &entry : config.entries) {
        ImportItem item;
        item.entry = entry.name;
        item.span = entry.span;
        item.server = serverNameFor(entry.name);
        if (entry.viaLatchkey) {
            item.action = ImportItem::Action::Skip;
            item.note = QStringLiteral("already goes through Latchkey");
            plan.m_items.append(item);
            continue;
        }
        if (entry.kind == McpEntry::Kind::McpRemote) {
            plan.planMcpRemote(entry, existingServers, &item);
        } else if (const auto inArgs = SecretRule::inArguments(entry.args); !inArgs.isEmpty()) {
            // Latchkey would have to keep the command line, secret included: a secret never belongs in argv.
            QStringList shown;
            for (const auto &found : inArgs) {
                shown << found.shown;
            }
            leaveAlone(entry,
                       QStringLiteral("its command line holds what looks like a secret (%1), and Latchkey keeps no "
                                      "secret on a command line. Move it to an environment variable the server "
                                      "reads (see its documentation), put that in \"env\", then import again")
                           .arg(shown.join(QStringLiteral(", "))),
                       &item);
        } else if (entry.kind == McpEntry::Kind::Stdio) {
            plan.planStdio(entry, &item);
        } else if (const QString why = urlSecretReason(entry.url); !why.isEmpty()) {
            leaveAlone(entry, why, &item);
        } else {
            Ordered rewritten = entry.json;
            rewritten.erase("url");
            rewritten.erase("headers");
            plan.planRemote(entry, entry.headers, rewritten, existingServers, &item);
        }
        if (item.action == ImportItem::Action::AddStdio || item.action == ImportItem::Action::AddRemote) {
            if (taken.contains(item.server)) {
                plan.m_conflicts << QStringLiteral("\"%1\": Latchkey already has a server named \"%2\"; rename the "
                                                   "entry in %3 or remove that server (latchkey remove %2), then "
                                                   "import again.")
                                        .arg(entry.name, item.server, config.path);
            } else if (planned.contains(item.server)) {
                plan.m_conflicts << QStringLiteral("\"%1\": another entry also becomes the Latchkey server \"%2\"; "
                                                   "rename one of them.")
                                        .arg(entry.name, item.server);
            }
            planned.insert(item.server);
        }
        plan.m_items.append(item);
    }
    return plan;
}

void ImportPlan::planStdio(const McpEntry &entry, ImportItem *item)
{
    item->action = ImportItem::Action::AddStdio;
    Json env = Json::array();
    Ordered rewritten = entry.json;
    for (const auto &[variable, value] : entry.env) {
        if (!SecretRule::isSecret(value)) {
            continue; // stays in the file, where the client sets it for `latchkey run`
        }
        if (!isEnvName(variable)) {
            m_conflicts << QStringLiteral("\"%1\": the variable \"%2\" holds a secret but is not a name Latchkey can "
                                          "set (letters, digits and '_'); move that secret by hand.")
                               .arg(entry.name, variable);
            continue;
        }
        const QString key = SecretRule::keyFor(variable);
        env.push_back({{"var", utf8(variable)}, {"source", "secret"}, {"key", utf8(key)}});
        item->secrets.append({key, value});
        item->moved << variable;
        rewritten["env"].erase(utf8(variable));
    }
    if (rewritten.contains("env") && rewritten["env"].is_object() && rewritten["env"].empty()) {
        rewritten.erase("env");
    }
    item->record = {{"name", utf8(item->server)}, {"kind", "stdio"}, {"command", Json::array()}, {"env", env}};
    item->record["command"].push_back(utf8(entry.command));
    for (const QString &arg : entry.args) {
        item->record["command"].push_back(utf8(arg));
    }
    // Variables such as ${workspaceFolder} only the client can resolve: it then passes the command line
    // to `latchkey run NAME -- …`, and the record's copy is for show.
    QStringList args{QStringLiteral("run"), item->server};
    const QStringList original = QStringList{entry.command} + entry.args;
    if (original.join(QLatin1Char('\n')).contains(QStringLiteral("${"))) {
        args << QStringLiteral("--") << original;
    }
    rewritten["command"] = utf8(m_program);
    rewritten["args"] = stringArray(args);
    item->rewritten = rewritten;
    item->note =
        item->moved.isEmpty()
            ? QStringLiteral("local server; no secrets found")
            : QStringLiteral("local server; moves %1 to the keychain").arg(item->moved.join(QStringLiteral(", ")));
}

void ImportPlan::leaveAlone(const McpEntry &entry, const QString &why, ImportItem *item)
{
    item->action = ImportItem::Action::LeaveAlone;
    item->note = QStringLiteral("left unchanged: %1.").arg(why);
    for (const auto &found : SecretRule::inArguments(entry.args + QStringList{entry.url})) {
        item->masked << found.secrets;
    }
    for (const auto &[variable, value] : entry.env) {
        if (SecretRule::isSecret(value)) {
            item->masked << value;
        }
    }
    for (const auto &[name, value] : entry.headers) {
        if (SecretRule::isSecret(value)) {
            item->masked << value.trimmed();
        }
    }
}

void ImportPlan::planMcpRemote(const McpEntry &entry, const Json &existing, ImportItem *item)
{
    item->viaMcpRemote = true;
    if (!entry.mcpRemoteProblem.isEmpty()) {
        leaveAlone(entry, QStringLiteral("it runs mcp-remote with %1").arg(entry.mcpRemoteProblem), item);
        return;
    }
    if (entry.url.contains(QStringLiteral("${"))) {
        leaveAlone(entry, QStringLiteral("its mcp-remote URL holds a variable Latchkey cannot resolve"), item);
        return;
    }
    if (const QString why = urlSecretReason(entry.url); !why.isEmpty()) {
        leaveAlone(entry, why, item);
        return;
    }
    // mcp-remote fills `${VAR}` in a header from its environment: the entry's "env", else whatever the client
    // was started with, which Latchkey cannot see. References with a colon (${input:…}, ${env:…}) are the
    // client's own, resolved before mcp-remote starts: they stay references.
    static const QRegularExpression reference(QStringLiteral(R"(\$\{([^}]+)\})"));
    QList<QPair<QString, QString>> headers;
    QSet<QString> used;
    QStringList masked;
    for (const auto &[name, written] : entry.headers) {
        QString value;
        qsizetype from = 0;
        for (auto it = reference.globalMatch(written); it.hasNext();) {
            const auto match = it.next();
            const QString variable = match.captured(1);
            value += written.mid(from, match.capturedStart() - from);
            from = match.capturedEnd();
            if (variable.contains(QLatin1Char(':'))) {
                value += match.captured(0);
                continue;
            }
            const auto set = std::find_if(entry.env.cbegin(), entry.env.cend(),
                                          [&variable](const auto &pair) { return pair.first == variable; });
            if (set == entry.env.cend()) {
                leaveAlone(entry,
                           QStringLiteral("its mcp-remote header %1 takes ${%2} from an environment variable the "
                                          "entry does not set, so Latchkey cannot see its value. Put the header's "
                                          "value in the entry's \"env\" as %2, then import again")
                               .arg(name, variable),
                           item);
                return;
            }
            value += set->second;
            used.insert(variable);
            masked << set->second;
        }
        value += written.mid(from);
        headers.append({name, value});
    }
    // What mcp-remote's environment held besides its headers' values stays with the entry; a secret there
    // would stay in the file, and Latchkey will not guess what it is for.
    Ordered rewritten = entry.json;
    for (const auto &[variable, value] : entry.env) {
        if (used.contains(variable)) {
            rewritten["env"].erase(utf8(variable));
        } else if (SecretRule::isSecret(value)) {
            leaveAlone(entry,
                       QStringLiteral("the variable %1 in its \"env\" looks like a secret, and none of its "
                                      "mcp-remote headers uses it; remove it, or move it by hand")
                           .arg(variable),
                       item);
            return;
        }
    }
    if (rewritten.contains("env") && rewritten["env"].is_object() && rewritten["env"].empty()) {
        rewritten.erase("env");
    }
    planRemote(entry, headers, rewritten, existing, item);
    for (const auto &[name, value] : entry.headers) {
        if (item->moved.contains(name) && SecretRule::isSecret(value)) {
            item->masked << value.trimmed(); // a literal on mcp-remote's command line, in the diff's removed lines
        }
    }
    if (!item->moved.isEmpty()) {
        item->masked << masked;
    }
    if (item->action == ImportItem::Action::AddRemote || item->action == ImportItem::Action::UseExisting) {
        item->note +=
            QStringLiteral(" (was mcp-remote%1)")
                .arg(entry.mcpRemoteDropped.isEmpty()
                         ? QString()
                         : QStringLiteral("; %1 not needed").arg(entry.mcpRemoteDropped.join(QStringLiteral(", "))));
    }
}

void ImportPlan::planRemote(const McpEntry &entry, const QList<QPair<QString, QString>> &headers, Ordered rewritten,
                            const Json &existing, ImportItem *item)
{
    const QUrl url(entry.url.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != QStringLiteral("https") && url.scheme() != QStringLiteral("http")) ||
        url.host().isEmpty()) {
        m_conflicts << QStringLiteral("\"%1\": \"%2\" is not an http(s) URL Latchkey can connect to.")
                           .arg(entry.name, entry.url);
        return;
    }
    Json bindings = Json::array();
    QStringList args{QStringLiteral("connect"), entry.url.trimmed()};
    for (const auto &[name, value] : headers) {
        if (!SecretRule::isSecret(value)) {
            args << QStringLiteral("--header") << QStringLiteral("%1: %2").arg(name, value);
            continue;
        }
        const QString key = SecretRule::keyFor(name);
        bindings.push_back({{"header", utf8(name)}, {"key", utf8(key)}});
        item->secrets.append({key, value});
        item->moved << name;
    }
    QString known;
    if (existing.is_array()) {
        for (const Json &server : existing) {
            const QString recordUrl = ipc::jsonString(server, "url");
            if (ipc::jsonString(server, "kind") == QStringLiteral("remote") && !recordUrl.isEmpty() &&
                (comparable(recordUrl) == comparable(entry.url) ||
                 comparable(ipc::jsonString(server, "resource")) == comparable(entry.url))) {
                known = ipc::jsonString(server, "name");
                break;
            }
        }
    }
    if (!known.isEmpty() && !item->secrets.isEmpty()) {
        m_conflicts << QStringLiteral("\"%1\": Latchkey already has %2 as the server \"%3\", without the headers "
                                      "this entry sends; remove it (latchkey remove %3), then import again.")
                           .arg(entry.name, entry.url, known);
        return;
    }
    if (rewritten.contains("type")) {
        rewritten["type"] = "stdio";
    }
    rewritten["command"] = utf8(m_program);
    rewritten["args"] = stringArray(args);
    item->rewritten = rewritten;
    if (!known.isEmpty()) {
        item->action = ImportItem::Action::UseExisting;
        item->server = known;
        item->note = QStringLiteral("remote server Latchkey already has (as %1)").arg(known);
        return;
    }
    item->action = ImportItem::Action::AddRemote;
    item->record = {{"name", utf8(item->server)}, {"kind", "remote"}, {"url", utf8(entry.url.trimmed())}};
    if (!bindings.empty()) {
        item->record["headers"] = bindings;
    }
    item->note = item->moved.isEmpty() ? QStringLiteral("remote server; signs in through Latchkey")
                                       : QStringLiteral("remote server; moves the %1 header(s) to the keychain")
                                             .arg(item->moved.join(QStringLiteral(", ")));
}

int ImportPlan::changeCount() const
{
    return static_cast<int>(std::count_if(m_items.cbegin(), m_items.cend(), [](const ImportItem &item) {
        return item.action != ImportItem::Action::Skip && item.action != ImportItem::Action::LeaveAlone;
    }));
}

QStringList ImportPlan::secretsLeftIn() const
{
    QStringList entries;
    for (const ImportItem &item : m_items) {
        if (item.action == ImportItem::Action::LeaveAlone && !item.masked.isEmpty()) {
            entries << item.entry;
        }
    }
    return entries;
}

QStringList ImportPlan::notices() const
{
    QStringList out;
    const QStringList left = secretsLeftIn();
    if (!left.isEmpty()) {
        out << QStringLiteral("Left unchanged, still holding what looks like a secret in %1: %2. Each line above "
                              "says why and what to do.")
                   .arg(m_config.path, left.join(QStringLiteral(", ")));
    }
    const bool mcpRemote = std::any_of(m_items.cbegin(), m_items.cend(), [](const ImportItem &item) {
        return item.viaMcpRemote &&
               (item.action == ImportItem::Action::AddRemote || item.action == ImportItem::Action::UseExisting);
    });
    if (mcpRemote) {
        out << QStringLiteral("mcp-remote kept its OAuth tokens and client registrations in plain files under "
                              "~/.mcp-auth (or $MCP_REMOTE_CONFIG_DIR). Latchkey does not use them: once no MCP "
                              "client runs mcp-remote any more, you may delete that directory.");
    }
    return out;
}

QByteArray ImportPlan::rewrittenText() const
{
    QList<ConfigRewriter::Edit> edits;
    for (const ImportItem &item : m_items) {
        if (item.action != ImportItem::Action::Skip && item.action != ImportItem::Action::LeaveAlone) {
            edits.append({item.span, item.rewritten});
        }
    }
    return ConfigRewriter::apply(m_config.text, edits);
}

QString ImportPlan::diff() const
{
    QStringList secrets;
    for (const ImportItem &item : m_items) {
        for (const auto &secret : item.secrets) {
            secrets << secret.second;
        }
        secrets << item.masked;
    }
    return ConfigRewriter::unifiedDiff(m_config.text, rewrittenText(), m_config.path, secrets);
}

QStringList ImportPlan::summary() const
{
    QStringList lines;
    for (const ImportItem &item : m_items) {
        const bool unchanged = item.action == ImportItem::Action::Skip || item.action == ImportItem::Action::LeaveAlone;
        const QString target = unchanged ? QString() : QStringLiteral(" → %1").arg(item.server);
        lines << QStringLiteral("%1%2: %3").arg(item.entry, target, item.note);
    }
    return lines;
}

} // namespace latchkey::import

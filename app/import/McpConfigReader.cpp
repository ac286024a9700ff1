#include "McpConfigReader.h"

#include "McpRemoteCommand.h"

#include <QFile>
#include <QFileInfo>

namespace latchkey::import {

namespace {

constexpr qint64 kMaxFileSize = 4 * 1024 * 1024;

using Ordered = nlohmann::ordered_json;

QString qstr(const Ordered &value)
{
    return QString::fromStdString(value.get<std::string>());
}

// Line and column (1-based) of a byte offset.
QString position(const QByteArray &text, std::size_t byte)
{
    const qsizetype end = std::min<qsizetype>(static_cast<qsizetype>(byte), text.size());
    const QByteArray before = text.left(end);
    const qsizetype line = before.count('\n') + 1;
    const qsizetype column = end - (before.lastIndexOf('\n') + 1);
    return QStringLiteral("line %1, column %2").arg(line).arg(std::max<qsizetype>(column, 1));
}

// Reads a map of strings ("env", "headers"); non-string values are kept in the entry as they are.
bool readStringMap(const Ordered &entry, const char *key, QList<QPair<QString, QString>> *out, QString *why)
{
    const auto it = entry.find(key);
    if (it == entry.end() || it->is_null()) {
        return true;
    }
    if (!it->is_object()) {
        *why = QStringLiteral("\"%1\" must be an object").arg(QString::fromLatin1(key));
        return false;
    }
    for (const auto &[name, value] : it->items()) {
        if (value.is_string()) {
            out->append({QString::fromStdString(name), qstr(value)});
        }
    }
    return true;
}

bool readEntry(const Ordered &json, McpEntry *entry, QString *why)
{
    if (!json.is_object()) {
        *why = QStringLiteral("an entry must be an object");
        return false;
    }
    entry->json = json;
    const auto command = json.find("command");
    const auto url = json.find("url");
    if (command != json.end()) {
        if (!command->is_string() || command->get_ref<const std::string &>().empty()) {
            *why = QStringLiteral("\"command\" must be a non-empty string");
            return false;
        }
        entry->kind = McpEntry::Kind::Stdio;
        entry->command = qstr(*command);
        if (const auto args = json.find("args"); args != json.end() && !args->is_null()) {
            if (!args->is_array()) {
                *why = QStringLiteral("\"args\" must be a list of strings");
                return false;
            }
            for (const auto &arg : *args) {
                if (!arg.is_string()) {
                    *why = QStringLiteral("\"args\" must be a list of strings");
                    return false;
                }
                entry->args << qstr(arg);
            }
        }
        entry->viaLatchkey =
            McpConfigReader::isLatchkeyProgram(entry->command) && !entry->args.isEmpty() &&
            (entry->args.front() == QStringLiteral("run") || entry->args.front() == QStringLiteral("connect"));
        if (qsizetype first = 0; McpRemoteCommand::launches(entry->command, entry->args, &first)) {
            const McpRemoteCommand remote = McpRemoteCommand::parse(entry->args.mid(first));
            entry->kind = McpEntry::Kind::McpRemote;
            entry->url = remote.url();
            entry->headers = remote.headers();
            entry->mcpRemoteDropped = remote.dropped();
            entry->mcpRemoteProblem = remote.problem();
        }
        return readStringMap(json, "env", &entry->env, why);
    }
    if (url != json.end()) {
        if (!url->is_string() || url->get_ref<const std::string &>().empty()) {
            *why = QStringLiteral("\"url\" must be a non-empty string");
            return false;
        }
        entry->kind = McpEntry::Kind::Remote;
        entry->url = qstr(*url);
        return readStringMap(json, "headers", &entry->headers, why);
    }
    *why = QStringLiteral("an entry needs a \"command\" (a local server) or a \"url\" (a remote one)");
    return false;
}

} // namespace

bool McpConfigReader::isLatchkeyProgram(const QString &command)
{
    QString base = command.section(QLatin1Char('/'), -1).section(QLatin1Char('\\'), -1);
    if (base.endsWith(QStringLiteral(".exe"), Qt::CaseInsensitive)) {
        base.chop(4);
    }
    return base == QStringLiteral("latchkey");
}

std::optional<McpConfig> McpConfigReader::parse(const QByteArray &text, McpClientKind::Kind client, const QString &path,
                                                QString *error)
{
    const auto fail = [&](const QString &why) -> std::optional<McpConfig> {
        *error = QStringLiteral("%1: %2").arg(path, why);
        return std::nullopt;
    };
    Ordered root;
    try {
        root = Ordered::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/true);
    } catch (const nlohmann::json::parse_error &e) {
        // e.what() reads "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error …";
        // keep what comes after the position, which nlohmann phrases well.
        QString what = QString::fromUtf8(e.what());
        const qsizetype colon = what.indexOf(QStringLiteral(": "));
        what = colon >= 0 ? what.mid(colon + 2) : what;
        return fail(QStringLiteral("not valid JSON at %1: %2").arg(position(text, e.byte), what));
    }
    const char *key = McpClientKind::serversKey(client);
    const QString keyName = QString::fromLatin1(key);
    const auto servers = root.is_object() ? root.find(key) : root.end();
    if (!root.is_object() || servers == root.end()) {
        return fail(QStringLiteral("no \"%1\" object: is this a %2 configuration?")
                        .arg(keyName, McpClientKind::displayName(client)));
    }
    if (!servers->is_object()) {
        return fail(QStringLiteral("\"%1\" must be an object mapping names to servers").arg(keyName));
    }
    // Locate the server map and each entry in the text, so that only the entries we rewrite change.
    const auto top = JsonSpans::members(text);
    const auto where =
        top ? std::find_if(top->cbegin(), top->cend(), [&](const JsonSpans::Member &m) { return m.name == key; })
            : QList<JsonSpans::Member>::const_iterator();
    const auto spans = top && where != top->cend() ? JsonSpans::members(text, where->value.begin) : std::nullopt;
    if (!spans || spans->size() != static_cast<qsizetype>(servers->size())) {
        // Duplicate keys, which nlohmann folds into one: the file would not round-trip.
        return fail(
            QStringLiteral("\"%1\" has a server name twice, or a layout Latchkey cannot edit safely").arg(keyName));
    }
    McpConfig config;
    config.client = client;
    config.path = path;
    config.text = text;
    for (const JsonSpans::Member &member : *spans) {
        McpEntry entry;
        entry.name = QString::fromStdString(member.name);
        entry.span = member.value;
        QString why;
        if (!readEntry(servers->at(member.name), &entry, &why)) {
            return fail(QStringLiteral("server \"%1\" (%2): %3")
                            .arg(entry.name, position(text, static_cast<std::size_t>(member.value.begin)), why));
        }
        config.entries.append(entry);
    }
    return config;
}

std::optional<McpConfig> McpConfigReader::read(const QString &path, McpClientKind::Kind client, QString *error)
{
    QFile file(path);
    if (!QFileInfo(path).isFile()) {
        *error = QStringLiteral("%1: no such file (is %2 set up on this computer? give the file's path)")
                     .arg(path, McpClientKind::displayName(client));
        return std::nullopt;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read it: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    if (file.size() > kMaxFileSize) {
        *error = QStringLiteral("%1: larger than 4 MiB; that is not an MCP configuration").arg(path);
        return std::nullopt;
    }
    return parse(file.readAll(), client, path, error);
}

} // namespace latchkey::import

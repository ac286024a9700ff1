#pragma once

#include "McpEntry.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

namespace latchkey::import {

// What importing one entry does.
struct ImportItem
{
    enum class Action
    {
        AddStdio,    // a stdio record; its secrets into the keychain; entry → `latchkey run NAME`
        AddRemote,   // a remote record (static headers, or OAuth after discovery); entry → `latchkey connect URL`
        UseExisting, // Latchkey already has this remote server; only the entry is rewritten
        Skip,        // nothing to do (already through Latchkey)
        LeaveAlone,  // cannot be imported automatically (note says why); the entry stays as it is
    };
    QString entry;  // its name in the client's file
    QString server; // the Latchkey server name
    Action action = Action::Skip;
    QString note;                           // one line for people
    nlohmann::json record;                  // for server.add
    QList<QPair<QString, QString>> secrets; // keychain key → value
    QStringList moved;                      // variables or headers whose values go to the keychain
    QStringList masked;                     // more values never to show (secrets left in place, their parts)
    bool viaMcpRemote = false;              // the entry ran mcp-remote
    nlohmann::ordered_json rewritten;       // the new entry
    JsonSpans::Span span;
};

// The whole import of one configuration, decided before anything changes: which records to add, which
// secrets move, how each entry is rewritten, and every reason it cannot go ahead (conflicts). Pure: no
// I/O, no daemon; the CLI and the tray wizard show it, ImportRunner carries it out.
class ImportPlan
{
public:
    // existingServers: the daemon's server.list "servers" array. program: what rewritten entries launch.
    static ImportPlan build(const McpConfig &config, const nlohmann::json &existingServers, const QString &program);

    const McpConfig &config() const { return m_config; }
    const QList<ImportItem> &items() const { return m_items; }
    // Each is a complete sentence; when any is present nothing may be imported.
    const QStringList &conflicts() const { return m_conflicts; }
    // Entries that change (everything but Skip and LeaveAlone).
    int changeCount() const;
    // Entries left as they are although they hold what looks like a secret.
    QStringList secretsLeftIn() const;
    // Complete sentences to show after the summary: what import leaves for the person to do.
    QStringList notices() const;
    // The file as it will be written.
    QByteArray rewrittenText() const;
    // A unified diff of the file, with every secret value masked: safe to print.
    QString diff() const;
    // A short human summary, one line per entry.
    QStringList summary() const;

private:
    void planStdio(const McpEntry &entry, ImportItem *item);
    // headers: name → value as the server is to get it; rewritten: the entry without what is replaced.
    void planRemote(const McpEntry &entry, const QList<QPair<QString, QString>> &headers,
                    nlohmann::ordered_json rewritten, const nlohmann::json &existing, ImportItem *item);
    void planMcpRemote(const McpEntry &entry, const nlohmann::json &existing, ImportItem *item);
    // Marks the entry LeaveAlone because of `why`, masking every value in it that may be a secret.
    static void leaveAlone(const McpEntry &entry, const QString &why, ImportItem *item);

    McpConfig m_config;
    QString m_program;
    QList<ImportItem> m_items;
    QStringList m_conflicts;
};

} // namespace latchkey::import

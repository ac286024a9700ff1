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
    };
    QString entry;  // its name in the client's file
    QString server; // the Latchkey server name
    Action action = Action::Skip;
    QString note;                           // one line for people
    nlohmann::json record;                  // for server.add
    QList<QPair<QString, QString>> secrets; // keychain key → value
    QStringList moved;                      // variables or headers whose values go to the keychain
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
    // Entries that change (everything but Skip).
    int changeCount() const;
    // The file as it will be written.
    QByteArray rewrittenText() const;
    // A unified diff of the file, with every secret value masked: safe to print.
    QString diff() const;
    // A short human summary, one line per entry.
    QStringList summary() const;

private:
    void planStdio(const McpEntry &entry, ImportItem *item);
    void planRemote(const McpEntry &entry, const nlohmann::json &existing, ImportItem *item);

    McpConfig m_config;
    QString m_program;
    QList<ImportItem> m_items;
    QStringList m_conflicts;
};

} // namespace latchkey::import

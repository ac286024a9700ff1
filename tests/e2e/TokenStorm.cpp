// TokenStorm: one process's share of a token.get storm, for TestSingleFlight.
//
//   TokenStorm --socket PATH --name SERVER [--connections 25] [--per-connection 2] [--timeout-ms 30000]
//
// Opens every connection first, prints {"ready":N} once they are all up, then waits for one line on
// stdin (the go signal, so several processes fire together). Then writes every request on every
// connection before reading any reply, waits for all the replies (or the deadline) and prints one
// JSON summary line: counts, the distinct tokens with how many requests got each, error codes, and
// latencies from the first write. Exit 0 when it could run the storm at all (the test judges the
// answers), 1 when it could not connect, 2 on bad usage.
#include "Client.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

using latchkey::ipc::Client;
using latchkey::ipc::Json;
using latchkey::ipc::Response;

namespace {

struct Answer
{
    qint64 latencyMs = -1; // -1: no reply
    qint64 receivedAtMs = 0;
    std::string token;
    std::int64_t expiresAt = 0;
    std::string error;
};

int positive(const QCommandLineParser &parser, const QString &option, bool *ok)
{
    const int value = parser.value(option).toInt(ok);
    *ok = *ok && value > 0;
    return value;
}

void print(const Json &json)
{
    std::fputs((json.dump() + "\n").c_str(), stdout);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOptions({{QStringLiteral("socket"), QStringLiteral("The daemon's socket."), QStringLiteral("path")},
                       {QStringLiteral("name"), QStringLiteral("The remote server."), QStringLiteral("name")},
                       {QStringLiteral("connections"), QStringLiteral("Connections to open."), QStringLiteral("n"),
                        QStringLiteral("25")},
                       {QStringLiteral("per-connection"), QStringLiteral("Requests per connection."),
                        QStringLiteral("n"), QStringLiteral("2")},
                       {QStringLiteral("timeout-ms"), QStringLiteral("Deadline for every reply."), QStringLiteral("ms"),
                        QStringLiteral("30000")}});
    parser.process(app);
    bool ok1 = false;
    bool ok2 = false;
    bool ok3 = false;
    const int connections = positive(parser, QStringLiteral("connections"), &ok1);
    const int perConnection = positive(parser, QStringLiteral("per-connection"), &ok2);
    const int timeoutMs = positive(parser, QStringLiteral("timeout-ms"), &ok3);
    const QString socket = parser.value(QStringLiteral("socket"));
    const std::string name = parser.value(QStringLiteral("name")).toStdString();
    if (!ok1 || !ok2 || !ok3 || socket.isEmpty() || name.empty()) {
        std::fputs("usage: TokenStorm --socket PATH --name SERVER [--connections N] [--per-connection N]\n", stderr);
        return 2;
    }

    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < connections; ++i) {
        auto client = std::make_unique<Client>(socket);
        if (!client->connectToDaemon(10000)) {
            print({{"error", "connect failed: " + client->lastError().toStdString()}, {"connected", i}});
            return 1;
        }
        clients.push_back(std::move(client));
    }
    print({{"ready", connections}});

    std::string go;
    if (!std::getline(std::cin, go)) {
        print({{"error", "no go signal on stdin"}});
        return 1;
    }

    const auto total = static_cast<std::size_t>(connections) * static_cast<std::size_t>(perConnection);
    std::vector<Answer> answers(total);
    std::size_t replies = 0;
    QEventLoop loop;
    QElapsedTimer clock;
    const qint64 firstWriteMs = QDateTime::currentMSecsSinceEpoch();
    clock.start();
    // Every request goes out before control returns to the event loop, so before any reply is read.
    std::size_t slot = 0;
    for (const auto &client : clients) {
        for (int r = 0; r < perConnection; ++r, ++slot) {
            client->callAsync("token.get", {{"name", name}}, [&, slot](const Response &response) {
                Answer &answer = answers[slot];
                answer.latencyMs = clock.elapsed();
                answer.receivedAtMs = QDateTime::currentMSecsSinceEpoch();
                if (response.ok()) {
                    answer.token = response.result.value("access_token", std::string());
                    answer.expiresAt = response.result.value("expires_at", std::int64_t{0});
                } else {
                    answer.error = response.errorCode.empty() ? std::string("empty") : response.errorCode;
                }
                if (++replies == total) {
                    loop.quit();
                }
            });
        }
    }
    const qint64 writtenMs = clock.elapsed();
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (replies < total) {
        loop.exec();
    }

    std::map<std::string, Json> tokens;
    std::map<std::string, int> errors;
    std::vector<qint64> latencies;
    int okCount = 0;
    int expiredOnArrival = 0;
    qint64 lastReplyMs = 0;
    for (const Answer &answer : answers) {
        if (answer.latencyMs < 0) {
            continue;
        }
        latencies.push_back(answer.latencyMs);
        lastReplyMs = std::max(lastReplyMs, answer.receivedAtMs);
        if (!answer.error.empty() || answer.token.empty()) {
            ++errors[answer.error.empty() ? std::string("no access_token") : answer.error];
            continue;
        }
        ++okCount;
        if (answer.expiresAt * 1000 <= answer.receivedAtMs) {
            ++expiredOnArrival;
        }
        Json &entry = tokens[answer.token];
        if (entry.is_null()) {
            entry = {{"token", answer.token}, {"count", 0}, {"expires_at", answer.expiresAt}};
        }
        entry["count"] = entry["count"].get<int>() + 1;
    }
    std::sort(latencies.begin(), latencies.end());
    const auto percentile = [&latencies](double p) -> qint64 {
        if (latencies.empty()) {
            return -1;
        }
        const auto index = static_cast<std::size_t>(p * static_cast<double>(latencies.size() - 1));
        return latencies[index];
    };
    Json distinct = Json::array();
    for (const auto &[token, entry] : tokens) {
        distinct.push_back(entry);
    }
    print({{"pid", QCoreApplication::applicationPid()},
           {"connections", connections},
           {"requests", total},
           {"replies", replies},
           {"ok", okCount},
           {"errors", errors},
           {"tokens", distinct},
           {"expired_on_arrival", expiredOnArrival},
           {"first_write_ms", firstWriteMs},
           {"last_reply_ms", lastReplyMs},
           {"write_all_ms", writtenMs},
           {"latency_ms", {{"min", percentile(0)}, {"median", percentile(0.5)}, {"max", percentile(1)}}}});
    return 0;
}

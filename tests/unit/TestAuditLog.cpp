// Unit tests for AuditLog: JSON lines, file mode, reading back with since/limit, torn lines.
#include "AuditLog.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using latchkey::AuditLog;
using Json = nlohmann::json;

namespace {

QList<QByteArray> lines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    QList<QByteArray> out = file.readAll().split('\n');
    if (!out.isEmpty() && out.back().isEmpty()) {
        out.pop_back();
    }
    return out;
}

bool appendRaw(const QString &path, const QByteArray &data)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        return false;
    }
    return file.write(data) == data.size();
}

QByteArray entryLine(const std::string &ts, const std::string &event)
{
    const std::string text = Json{{"ts", ts}, {"event", event}}.dump() + "\n";
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

} // namespace

class TestAuditLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void linesAreJson();
    void fileModeIs0600();
    void createsParentDirectory();
    void readBackInOrder();
    void readLimitKeepsNewest();
    void readSince();
    void readMissingFileIsEmpty();
    void tornLastLineSkipped();
    void recordAfterTornLineIsKept();
    void garbageLinesSkipped();
    void hashIdIsStableAndShort();
    void invalidUtf8NeverBreaksALine();

private:
    QString path() const { return m_dir->filePath(QStringLiteral("state/latchkey/audit.jsonl")); }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestAuditLog::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestAuditLog::linesAreJson()
{
    AuditLog log(path());
    log.record("server.added", {{"server", "github"}, {"pid", 42}});
    log.record("secret.handout", {{"server", "github"}, {"variables", {"GITHUB_TOKEN"}}});
    log.record("daemon.started");
    const auto written = lines(path());
    QCOMPARE(written.size(), 3);
    for (const QByteArray &line : written) {
        QVERIFY(!line.contains('\n'));
        const Json entry = Json::parse(line.toStdString());
        QVERIFY(entry.is_object());
        QVERIFY(entry.at("ts").is_string());
        QVERIFY(entry.at("event").is_string());
        const auto ts = QDateTime::fromString(QString::fromStdString(entry.at("ts").get<std::string>()), Qt::ISODate);
        QVERIFY(ts.isValid());
        QCOMPARE(ts.timeSpec(), Qt::UTC);
    }
    const Json first = Json::parse(written.at(0).toStdString());
    QCOMPARE(first.at("event").get<std::string>(), std::string("server.added"));
    QCOMPARE(first.at("server").get<std::string>(), std::string("github"));
    QCOMPARE(first.at("pid").get<int>(), 42);
    QCOMPARE(Json::parse(written.at(2).toStdString()).at("event").get<std::string>(), std::string("daemon.started"));
}

void TestAuditLog::fileModeIs0600()
{
    const mode_t old = ::umask(0022);
    {
        AuditLog log(path());
        log.record("x");
    }
    ::umask(old);
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777u, 0600u);

    // An existing, too open log is tightened when the daemon opens it.
    QVERIFY(QFile::setPermissions(path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther));
    AuditLog again(path());
    again.record("y");
    QCOMPARE(::stat(QFile::encodeName(path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777u, 0600u);
}

void TestAuditLog::createsParentDirectory()
{
    QVERIFY(!QDir(QFileInfo(path()).absolutePath()).exists());
    AuditLog log(path());
    log.record("x");
    QVERIFY(QFile::exists(path()));
}

void TestAuditLog::readBackInOrder()
{
    AuditLog log(path());
    for (int i = 0; i < 5; ++i) {
        log.record("n", {{"i", i}});
    }
    const Json entries = log.read({}, 0);
    QCOMPARE(entries.size(), size_t(5));
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(entries.at(static_cast<size_t>(i)).at("i").get<int>(), i);
    }
}

void TestAuditLog::readLimitKeepsNewest()
{
    AuditLog log(path());
    for (int i = 0; i < 10; ++i) {
        log.record("n", {{"i", i}});
    }
    const Json three = log.read({}, 3);
    QCOMPARE(three.size(), size_t(3));
    QCOMPARE(three.at(0).at("i").get<int>(), 7);
    QCOMPARE(three.at(2).at("i").get<int>(), 9);
    QCOMPARE(log.read({}, 100).size(), size_t(10));
    QCOMPARE(log.read({}, 1).at(0).at("i").get<int>(), 9);
}

void TestAuditLog::readSince()
{
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(appendRaw(path(), entryLine("2026-01-01T10:00:00.000Z", "a") + entryLine("2026-01-02T10:00:00.000Z", "b") +
                                  entryLine("2026-01-03T10:00:00.000Z", "c")));
    AuditLog log(path());
    const Json fromB = log.read(QStringLiteral("2026-01-02T10:00:00.000Z"), 0);
    QCOMPARE(fromB.size(), size_t(2));
    QCOMPARE(fromB.at(0).at("event").get<std::string>(), std::string("b"));
    QCOMPARE(log.read(QStringLiteral("2026-01-02"), 0).size(), size_t(2));
    QCOMPARE(log.read(QStringLiteral("2027"), 0).size(), size_t(0));
    QCOMPARE(log.read(QStringLiteral("2025-12-31T00:00:00Z"), 0).size(), size_t(3));
    // since and limit together: the newest of those since.
    const Json one = log.read(QStringLiteral("2026-01-02"), 1);
    QCOMPARE(one.size(), size_t(1));
    QCOMPARE(one.at(0).at("event").get<std::string>(), std::string("c"));
}

void TestAuditLog::readMissingFileIsEmpty()
{
    AuditLog log(path());
    const Json entries = log.read({}, 10);
    QVERIFY(entries.is_array());
    QVERIFY(entries.empty());
    QVERIFY(!QFile::exists(path()));
}

void TestAuditLog::tornLastLineSkipped()
{
    AuditLog log(path());
    log.record("first");
    log.record("second");
    QVERIFY(appendRaw(path(), QByteArrayLiteral(R"({"ts":"2026-01-01T00:00:00.000Z","event":"tor)")));
    const Json entries = log.read({}, 0);
    QCOMPARE(entries.size(), size_t(2));
    QCOMPARE(entries.at(1).at("event").get<std::string>(), std::string("second"));
}

void TestAuditLog::recordAfterTornLineIsKept()
{
    // A daemon crashed mid-write; the next daemon's first entry must not be glued onto the torn line.
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(appendRaw(path(), entryLine("2026-01-01T00:00:00.000Z", "before") +
                                  QByteArrayLiteral(R"({"ts":"2026-01-01T00:00:01.000Z","event":"tor)")));
    AuditLog log(path());
    log.record("daemon.started");
    log.record("server.added");
    const Json entries = log.read({}, 0);
    QCOMPARE(entries.size(), size_t(3));
    QCOMPARE(entries.at(0).at("event").get<std::string>(), std::string("before"));
    QCOMPARE(entries.at(1).at("event").get<std::string>(), std::string("daemon.started"));
    QCOMPARE(entries.at(2).at("event").get<std::string>(), std::string("server.added"));
}

void TestAuditLog::garbageLinesSkipped()
{
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(appendRaw(path(), QByteArrayLiteral("not json\n[1,2]\n{\"event\":\"no ts\"}\n{\"ts\":5}\n\n") +
                                  entryLine("2026-01-01T00:00:00.000Z", "good") + QByteArray(100000, 'x') + "\n"));
    AuditLog log(path());
    const Json entries = log.read({}, 0);
    QCOMPARE(entries.size(), size_t(1));
    QCOMPARE(entries.at(0).at("event").get<std::string>(), std::string("good"));
}

void TestAuditLog::hashIdIsStableAndShort()
{
    const std::string a = AuditLog::hashId(QByteArrayLiteral("token-id-1"));
    QCOMPARE(a.size(), size_t(16));
    QCOMPARE(a, AuditLog::hashId(QByteArrayLiteral("token-id-1")));
    QVERIFY(a != AuditLog::hashId(QByteArrayLiteral("token-id-2")));
    QVERIFY(a.find("token") == std::string::npos);
    QVERIFY(std::all_of(a.begin(), a.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }));
}

void TestAuditLog::invalidUtf8NeverBreaksALine()
{
    AuditLog log(path());
    log.record("x", {{"exe", std::string("/tmp/\xff\xfe")}});
    log.record("y");
    const Json entries = log.read({}, 0);
    QCOMPARE(entries.size(), size_t(2));
    QCOMPARE(entries.at(1).at("event").get<std::string>(), std::string("y"));
}

QTEST_GUILESS_MAIN(TestAuditLog)
#include "TestAuditLog.moc"

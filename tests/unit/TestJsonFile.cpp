#include "JsonFile.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using latchkey::JsonFile;

class TestJsonFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTripsPrivately()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("a/b/file.json"));
        QString error;
        QVERIFY(JsonFile::writeAtomically(path, {{"schema", 1}, {"x", 2}}, &error));
        QVERIFY(!(QFileInfo(path).permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther)));
        QString why;
        const auto doc = JsonFile::readVersioned(path, 1, &why);
        QVERIFY2(doc, qPrintable(why));
        QCOMPARE((*doc)["x"].get<int>(), 2);
    }

    void refusesWhatItCannotTrust_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("why");
        QTest::newRow("garbage") << QByteArray("{") << QStringLiteral("not valid JSON");
        QTest::newRow("array") << QByteArray("[]") << QStringLiteral("no \"schema\"");
        QTest::newRow("newer") << QByteArray("{\"schema\":3}") << QStringLiteral("newer Latchkey");
        QTest::newRow("zero") << QByteArray("{\"schema\":0}") << QStringLiteral("not valid");
        QTest::newRow("too large") << QByteArray(JsonFile::kMaxSize + 1, ' ') << QStringLiteral("larger than");
    }

    void refusesWhatItCannotTrust()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, why);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("f.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
        file.close();
        QString error;
        QVERIFY(!JsonFile::readVersioned(path, 2, &error));
        QVERIFY2(error.contains(why), qPrintable(error));
        QVERIFY(!JsonFile::readVersioned(dir.filePath(QStringLiteral("missing.json")), 2, &error));
    }

    void unwritablePlaceIsAnError()
    {
        QTemporaryDir dir;
        QFile blocker(dir.filePath(QStringLiteral("dir")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QString error;
        QVERIFY(!JsonFile::writeAtomically(dir.filePath(QStringLiteral("dir/f.json")), {{"schema", 1}}, &error));
        QVERIFY(error.contains(QStringLiteral("cannot")));
    }
};

QTEST_GUILESS_MAIN(TestJsonFile)
#include "TestJsonFile.moc"

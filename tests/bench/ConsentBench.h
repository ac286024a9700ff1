#pragma once

#include "FrameLoad.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <string>

namespace latchkey::bench {

// Handouts in consent "ask" mode for an app that is already granted ("always" in grants.json), beside the
// same handouts from the allow-mode daemon and the raw socket baseline; and the first handout on a fresh
// connection (the app walked in /proc, IdentityCache filled) against the later ones (only re-checked).
struct ConsentBenchSpec
{
    LoadSpec allowLoad; // the allow-mode daemon's server.env load (1 client is used)
    LoadSpec rawLoad;   // the baseline's
    QString server;     // a stdio server with one secret, in the allow-mode daemon
    QString variable;
    QString secretKey;
    QByteArray secret;
    int rounds = 3;
    int connections = 200; // fresh connections per daemon for first vs later
    int laterPerConnection = 4;
};

// Prints its section. Handouts made on the allow-mode daemon are added to *allowHandouts (its audit check).
// Empty, or what did not work.
std::string runConsentBench(const ConsentBenchSpec &spec, std::uint64_t *allowHandouts);

} // namespace latchkey::bench

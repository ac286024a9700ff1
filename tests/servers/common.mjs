// Pieces the test servers (as.mjs, hostile.mjs, idp.mjs, jag-as.mjs) share: loopback listening, a
// signing key, JSON answers, counters and the little argument checks.
import { randomBytes } from 'node:crypto';
import http from 'node:http';

import { exportJWK, generateKeyPair } from 'jose';

// Listens on 127.0.0.1 (port 0: an ephemeral one) and resolves with the port.
export async function listenLoopback(server, port) {
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number.parseInt(port, 10), '127.0.0.1', resolve);
    });
    return server.address().port;
}

// A fresh HTTP server on 127.0.0.1 and its http://127.0.0.1:PORT origin.
export async function loopbackServer(port) {
    const server = http.createServer();
    const bound = await listenLoopback(server, port);
    return { server, port: bound, origin: `http://127.0.0.1:${bound}` };
}

// A fresh RS256 key as a private JWK (for oidc-provider's `jwks`) and its public half.
export async function rsaSigningJwk(kid) {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
    const publicJwk = Object.fromEntries(Object.entries(jwk).filter(([key]) => !['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(key)));
    return { jwk, publicJwk };
}

export function sendJson(res, status, body, headers = {}) {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
}

export function isLoopbackUrl(value) {
    try {
        const url = new URL(value);
        return url.protocol === 'http:' && url.hostname === '127.0.0.1' && !url.hash;
    } catch {
        return false;
    }
}

// The value of a --name option that must be a positive number of seconds; exits 2 otherwise.
export function positiveSeconds(args, name) {
    const value = Number.parseInt(args[name], 10);
    if (!Number.isInteger(value) || value < 1) {
        console.error(`--${name} must be a positive number of seconds`);
        process.exit(2);
    }
    return value;
}

export function bump(counters, key) {
    counters[key] = (counters[key] ?? 0) + 1;
}

// Logs an oidc-provider event's error on stderr, prefixed with the program's name.
export function logProviderErrors(provider, prefix, events) {
    for (const event of events) {
        provider.on(event, (ctx, error) =>
            console.error(`${prefix}: ${event}: ${error.error ?? error.name}: ${error.error_detail ?? error.error_description ?? error.message}`));
    }
}

// Closes the servers and exits 0 on SIGTERM or SIGINT.
export function exitOnSignals(...servers) {
    for (const signal of ['SIGTERM', 'SIGINT']) {
        process.on(signal, () => {
            for (const server of servers) {
                server.close();
            }
            process.exit(0);
        });
    }
}

// The oidc-provider settings both enterprise servers share: code flow only, PKCE (S256) required for
// every client, the three usual client authentications, grants that outlive the browser session, and
// lifetimes (`accessTtl`, `refreshTtl` seconds) long enough for any test run unless it shortens them.
export function providerBasics({ accessTtl = 3600, refreshTtl = 24 * 3600, extraTtl = {} } = {}) {
    return {
        responseTypes: ['code'],
        pkce: { required: () => true },
        clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
        cookies: { keys: [randomBytes(32).toString('base64url')] },
        expiresWithSession: async () => false,
        ttl: {
            AccessToken: accessTtl,
            RefreshToken: refreshTtl,
            Grant: refreshTtl,
            Session: 24 * 3600,
            Interaction: 600,
            AuthorizationCode: 60,
            ...extraTtl,
        },
        findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@example.test` }) }),
    };
}

// Serves oidc-provider on `server`, except /__test/… which goes to `hooks(req, res, url)`: loopback
// only (the socket is bound to 127.0.0.1, and a browser page cannot name another Host).
export function serveProviderWithHooks(server, provider, port, hooks) {
    const callback = provider.callback();
    server.on('request', (req, res) => {
        const url = new URL(req.url, `http://127.0.0.1:${port}`);
        if (!url.pathname.startsWith('/__test/')) {
            callback(req, res);
        } else if (req.socket.remoteAddress !== '127.0.0.1' || req.headers.host !== `127.0.0.1:${port}`) {
            sendJson(res, 403, { error: 'loopback only' });
        } else {
            hooks(req, res, url);
        }
    });
}

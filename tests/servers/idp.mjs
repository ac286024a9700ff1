// The company identity provider of Latchkey's enterprise (ID-JAG) tests: oidc-provider (a certified
// OpenID provider) on 127.0.0.1, plus the RFC 8693 token exchange that issues Identity Assertion
// JWT Authorization Grants (ID-JAGs) for the MCP servers an admin approved for the user.
//
//   node idp.mjs [--port 0] [--admin-port 0] [--id-token-ttl 3600] [--jag-ttl 300] [--refresh-ttl 86400]
//
// Prints one JSON line on stdout once both ports listen:
//   {"issuer":"http://127.0.0.1:PORT","port":PORT,"admin":"http://127.0.0.1:APORT","user":"e2e-user",
//    "client_id":"latchkey","confidential":{"client_id":"latchkey-confidential","client_secret":...}}
// Everything else goes to stderr.
//
// - RFC 7009 revocation (revocation_endpoint /token/revocation) of its refresh tokens.
// - OIDC code flow, PKCE (S256) required, devInteractions login and consent pages (any login name and
//   password: the login name is the `sub`; browser.mjs signs in as "e2e-user").
// - Clients: `latchkey`, a native public client (no secret) with loopback redirects on any port
//   (http://127.0.0.1/callback, http://localhost/callback, http://[::1]/callback), and
//   `latchkey-confidential`, the same with client_secret_basic (or _post); both may use
//   authorization_code, refresh_token and token exchange. Refresh tokens for both (rotated).
// - Token exchange (grant_type urn:ietf:params:oauth:grant-type:token-exchange) with
//   subject_token = an ID token this IdP issued to the calling client (signature, iss, aud = the client,
//   exp checked), subject_token_type …:id_token, requested_token_type …:id-jag, audience = the MCP
//   AS's issuer, resource = the MCP server, optional scope. Only when the user's approval list holds
//   that resource, otherwise invalid_grant naming why. The answer: access_token = the ID-JAG (header
//   typ oauth-id-jag+jwt; claims iss, sub, aud = audience, resource, client_id = Latchkey's client at
//   that AS from the mapping below, jti, iat, exp = iat + --jag-ttl, scope), issued_token_type
//   …:id-jag, token_type N_A. Discovery lists …:id-jag in identity_chaining_requested_token_types_supported.
//
// Admin endpoints, on their own loopback port (JSON bodies):
//   GET  /admin/stats      {"authorization_requests","logins","codes_issued","token_grants":{type:N},
//                          "exchanges":{resource:N},"exchange_refusals":{resource:N},"id_tokens_issued",
//                          "revocations" (RFC 7009 requests the revocation_endpoint answered 200)}
//   GET  /admin/approvals  {sub:[resource,...]}
//   POST /admin/approvals  {"sub","resource","approved":bool}: approves or removes (removal → the next
//                          exchange for it is refused "access to <resource> revoked by admin")
//   POST /admin/clients    {"audience":AS issuer,"client_id":Latchkey's client id there}
//   POST /admin/misbehave  {"id_token":"none"|"bad_signature"|"wrong_aud"|"expired"|"wrong_nonce",
//                          "issued_token_type":"correct"|"wrong","jwks":"served"|"unavailable"}: ID tokens
//                          in token responses are altered so; exchanges answer with an access_token
//                          issued_token_type; GET /jwks answers 503 (the exchange itself still checks)
//   POST /admin/reset-stats
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import Provider, { errors } from 'oidc-provider';

import { bump, providerBasics, exitOnSignals, listenLoopback, logProviderErrors, loopbackServer, positiveSeconds, rsaSigningJwk, sendJson as json } from './common.mjs';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const ID_TOKEN_MODES = new Set(['none', 'bad_signature', 'wrong_aud', 'expired', 'wrong_nonce']);

const { values: args } = parseArgs({
    options: {
        port: { type: 'string', default: '0' },
        'admin-port': { type: 'string', default: '0' },
        'id-token-ttl': { type: 'string', default: '3600' },
        'jag-ttl': { type: 'string', default: '300' },
        'refresh-ttl': { type: 'string', default: '86400' },
    },
});
const idTokenTtl = positiveSeconds(args, 'id-token-ttl');
const jagTtl = positiveSeconds(args, 'jag-ttl');
const refreshTtl = positiveSeconds(args, 'refresh-ttl');

const USER = 'e2e-user';
const confidential = { client_id: 'latchkey-confidential', client_secret: randomBytes(24).toString('base64url') };

const { jwk: signingJwk, publicJwk } = await rsaSigningJwk('idp-test-key');
const signingKey = await importJWK(signingJwk, 'RS256');
const localJwks = createLocalJWKSet({ keys: [publicJwk] });
// The key of the "bad signature" mode: same kid and alg, not in the JWKS.
const { privateKey: rogueKey } = await generateKeyPair('RS256');

const { server, port, origin: issuer } = await loopbackServer(args.port);

const loopbackRedirects = ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://[::1]/callback'];
const nativeClient = (credentials, authMethod) => ({
    ...credentials,
    application_type: 'native',
    token_endpoint_auth_method: authMethod,
    grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
    response_types: ['code'],
    redirect_uris: loopbackRedirects,
});
const provider = new Provider(issuer, {
    jwks: { keys: [signingJwk] },
    clients: [nativeClient({ client_id: 'latchkey' }, 'none'), nativeClient(confidential, 'client_secret_basic')],
    ...providerBasics({ refreshTtl, extraTtl: { IdToken: idTokenTtl } }),
    scopes: ['openid', 'offline_access', 'email'],
    claims: { openid: ['sub'], email: ['email'] },
    features: {
        devInteractions: { enabled: true },
        revocation: { enabled: true },
    },
    discovery: {
        identity_chaining_requested_token_types_supported: [ID_JAG_TYPE],
    },
    // A refresh token for every client allowed the refresh_token grant (see as.mjs: oidc-provider
    // otherwise drops offline_access from requests without prompt=consent).
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
});

// What the admin changes and the tests read.
const approvals = new Map(); // sub → Set(resource)
const revoked = new Map(); // sub → Set(resource) removed by the admin
const clientAtAs = new Map(); // AS issuer → Latchkey's client_id there
const misbehave = { id_token: 'none', issued_token_type: 'correct', jwks: 'served' };
function freshStats() {
    return {
        authorization_requests: 0,
        logins: 0,
        codes_issued: 0,
        id_tokens_issued: 0,
        token_grants: {},
        exchanges: {},
        exchange_refusals: {},
        revocations: 0,
    };
}
let stats = freshStats();

function refuse(resource, description) {
    bump(stats.exchange_refusals, resource ?? '(none)');
    console.error(`idp: token exchange refused: ${description}`);
    return new errors.CustomOIDCProviderError('invalid_grant', description);
}

async function tokenExchange(ctx) {
    const { params, client } = ctx.oidc;
    for (const name of ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource']) {
        if (!params[name]) {
            throw new errors.InvalidRequest(`missing required parameter '${name}'`);
        }
    }
    if (params.subject_token_type !== ID_TOKEN_TYPE) {
        throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
    }
    if (params.requested_token_type !== ID_JAG_TYPE) {
        throw new errors.InvalidRequest(`requested_token_type must be ${ID_JAG_TYPE}`);
    }
    const { resource, audience } = params;
    let subject;
    try {
        ({ payload: subject } = await jwtVerify(params.subject_token, localJwks, {
            issuer,
            audience: client.clientId,
            algorithms: ['RS256'],
        }));
    } catch (error) {
        throw refuse(resource, `subject_token is not a valid ID token of this IdP for ${client.clientId} (${error.code ?? error.message})`);
    }
    const { sub } = subject;
    if (!approvals.get(sub)?.has(resource)) {
        throw refuse(resource, revoked.get(sub)?.has(resource)
            ? `access to ${resource} revoked by admin`
            : `access to ${resource} is not approved for ${sub}`);
    }
    const atAs = clientAtAs.get(audience);
    if (!atAs) {
        throw refuse(resource, `audience ${audience} is not an authorization server this IdP knows`);
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = { resource, client_id: atAs };
    if (params.scope) {
        claims.scope = params.scope;
    }
    if (subject.auth_time) {
        claims.auth_time = subject.auth_time;
    }
    const jag = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid, typ: 'oauth-id-jag+jwt' })
        .setIssuer(issuer)
        .setSubject(sub)
        .setAudience(audience)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + jagTtl)
        .sign(signingKey);
    bump(stats.exchanges, resource);
    ctx.body = {
        access_token: jag,
        issued_token_type: misbehave.issued_token_type === 'wrong' ? ACCESS_TOKEN_TYPE : ID_JAG_TYPE,
        token_type: 'N_A',
        expires_in: jagTtl,
        ...(params.scope ? { scope: params.scope } : {}),
    };
}
provider.registerGrantType(TOKEN_EXCHANGE, tokenExchange,
    ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope', 'actor_token', 'actor_token_type']);

// An ID token altered the way the misbehave switch says: still a JWT, wrong in exactly one respect.
async function misbehavingIdToken(idToken) {
    const payload = decodeJwt(idToken);
    const header = decodeProtectedHeader(idToken);
    let key = signingKey;
    const now = Math.floor(Date.now() / 1000);
    switch (misbehave.id_token) {
    case 'bad_signature':
        key = rogueKey;
        break;
    case 'wrong_aud':
        payload.aud = 'someone-else';
        break;
    case 'expired':
        payload.iat = now - 1200;
        payload.exp = now - 600;
        break;
    case 'wrong_nonce':
        payload.nonce = randomBytes(16).toString('base64url');
        break;
    default:
        return idToken;
    }
    return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/auth') {
        stats.authorization_requests += 1;
    }
    if (ctx.method === 'GET' && ctx.path === '/jwks' && misbehave.jwks === 'unavailable') {
        ctx.status = 503;
        ctx.body = { error: 'temporarily_unavailable' };
        return;
    }
    await next();
    if (ctx.method === 'POST' && ctx.path === '/token/revocation' && ctx.status === 200) {
        stats.revocations += 1;
    }
    if (ctx.method === 'POST' && ctx.path === '/token' && typeof ctx.body?.id_token === 'string') {
        stats.id_tokens_issued += 1;
        ctx.body = { ...ctx.body, id_token: await misbehavingIdToken(ctx.body.id_token) };
    }
});
provider.on('interaction.started', (ctx, prompt) => {
    if (prompt?.name === 'login') {
        stats.logins += 1;
    }
});
provider.on('authorization.success', () => {
    stats.codes_issued += 1;
});
provider.on('grant.success', (ctx) => bump(stats.token_grants, ctx.oidc?.params?.grant_type ?? 'unknown'));
provider.on('grant.error', (ctx, error) => {
    bump(stats.token_grants, ctx.oidc?.params?.grant_type ?? 'unknown');
    console.error(`idp: token request failed: ${error.error ?? error.name}: ${error.error_description ?? error.message}`);
});
logProviderErrors(provider, 'idp', ['authorization.error', 'server_error']);
server.on('request', provider.callback());

// The admin side.
async function readJson(req) {
    const chunks = [];
    for await (const chunk of req) {
        chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new BadRequest('the body must be a JSON object');
    }
    return body;
}

function approvalsJson() {
    return Object.fromEntries([...approvals].map(([sub, resources]) => [sub, [...resources]]));
}

class BadRequest extends Error {}
function requireString(body, name) {
    if (typeof body[name] !== 'string' || !body[name]) {
        throw new BadRequest(`"${name}" must be a non-empty string`);
    }
    return body[name];
}

const admin = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    try {
        if (req.method === 'GET' && url.pathname === '/admin/stats') {
            json(res, 200, stats);
        } else if (req.method === 'POST' && url.pathname === '/admin/reset-stats') {
            stats = freshStats();
            json(res, 200, stats);
        } else if (req.method === 'GET' && url.pathname === '/admin/approvals') {
            json(res, 200, approvalsJson());
        } else if (req.method === 'POST' && url.pathname === '/admin/approvals') {
            const body = await readJson(req);
            const sub = requireString(body, 'sub');
            const resource = requireString(body, 'resource');
            if (typeof body.approved !== 'boolean') {
                throw new BadRequest('"approved" must be true or false');
            }
            for (const [map, add] of [[approvals, body.approved], [revoked, !body.approved]]) {
                if (!map.has(sub)) {
                    map.set(sub, new Set());
                }
                map.get(sub)[add ? 'add' : 'delete'](resource);
            }
            json(res, 200, approvalsJson());
        } else if (req.method === 'POST' && url.pathname === '/admin/clients') {
            const body = await readJson(req);
            clientAtAs.set(requireString(body, 'audience'), requireString(body, 'client_id'));
            json(res, 200, Object.fromEntries(clientAtAs));
        } else if (req.method === 'POST' && url.pathname === '/admin/misbehave') {
            const body = await readJson(req);
            const idToken = body.id_token ?? misbehave.id_token;
            const issuedType = body.issued_token_type ?? misbehave.issued_token_type;
            const jwks = body.jwks ?? misbehave.jwks;
            if (!ID_TOKEN_MODES.has(idToken)) {
                throw new BadRequest(`"id_token" must be one of ${[...ID_TOKEN_MODES].join(', ')}`);
            }
            if (!['correct', 'wrong'].includes(issuedType)) {
                throw new BadRequest('"issued_token_type" must be "correct" or "wrong"');
            }
            if (!['served', 'unavailable'].includes(jwks)) {
                throw new BadRequest('"jwks" must be "served" or "unavailable"');
            }
            Object.assign(misbehave, { id_token: idToken, issued_token_type: issuedType, jwks });
            json(res, 200, misbehave);
        } else {
            json(res, 404, { error: 'no such admin endpoint' });
        }
    } catch (error) {
        json(res, error instanceof BadRequest || error instanceof SyntaxError ? 400 : 500, { error: String(error.message ?? error) });
    }
});
const adminPort = await listenLoopback(admin, args['admin-port']);

process.stdout.write(`${JSON.stringify({
    issuer,
    port,
    admin: `http://127.0.0.1:${adminPort}`,
    user: USER,
    client_id: 'latchkey',
    confidential,
})}\n`);

exitOnSignals(server, admin);

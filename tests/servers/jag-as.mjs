// An MCP authorization server that accepts ID-JAGs, for Latchkey's enterprise (ID-JAG) tests:
// oidc-provider on 127.0.0.1 with the JWT bearer grant (RFC 7523) of the Identity Assertion JWT
// Authorization Grant profile, in front of one MCP server (mcp-server.mjs --issuer <this issuer>).
//
//   node jag-as.mjs --idp ISSUER [--resource URL] [--port 0] [--client-id ID]
//                   [--client-auth client_secret_basic|client_secret_post|none] [--access-ttl 3600]
//                   [--no-id-jag] [--allow-replay]
//
// Prints one JSON line on stdout once it listens:
//   {"issuer","port","client_id","client_secret" (absent for "none"),"client_auth","id_jag":bool}
//
// - grant_type urn:ietf:params:oauth:grant-type:jwt-bearer, assertion = an ID-JAG, from the
//   pre-registered client (--client-id, default latchkey-at-<port>; a random secret). The ID-JAG must
//   have header typ oauth-id-jag+jwt, a signature by the IdP (its JWKS, found through its discovery),
//   iss = the IdP, aud = this issuer, client_id = the authenticated client, resource = the MCP server
//   (and = the request's resource when one is sent), an unexpired exp, and a jti not seen before
//   (remembered until its exp; --allow-replay turns that off). The answer: a JWT access token of this AS
//   with aud = the resource, sub = the ID-JAG's sub, scope = the ID-JAG's scope (or the request's, within
//   it) ∩ mcp:tools mcp:admin, default mcp:tools; lifetime --access-ttl; no refresh token.
// - Discovery lists jwt-bearer in grant_types_supported and authorization_grant_profiles_supported:
//   ["urn:ietf:params:oauth:grant-profile:id-jag"]. --no-id-jag drops both (and the grant): an AS a
//   person must sign in to in the browser (code flow + PKCE, dynamic registration, devInteractions).
// - --resource names the MCP server. The MCP server needs this issuer first, so it can also be set
//   once the MCP server listens: POST /__test/resource?url=URL.
//
// Test hooks (loopback only, like as.mjs):
//   GET  /__test/stats     {"token_grants":{grant_type:N},"jwt_bearer_refusals":{reason:N},
//                          "authorization_requests":N,"registrations":N,"resource":URL|null}
//   POST /__test/resource?url=URL
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

import { bump, providerBasics, serveProviderWithHooks, exitOnSignals, isLoopbackUrl, logProviderErrors, loopbackServer, positiveSeconds, rsaSigningJwk, sendJson as json } from './common.mjs';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_JAG_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
const ID_JAG_TYP = 'oauth-id-jag+jwt';
const RESOURCE_SCOPES = ['mcp:tools', 'mcp:admin'];
const DEFAULT_SCOPE = 'mcp:tools';

const { values: args } = parseArgs({
    options: {
        idp: { type: 'string' },
        resource: { type: 'string' },
        port: { type: 'string', default: '0' },
        'client-id': { type: 'string' },
        'client-auth': { type: 'string', default: 'client_secret_basic' },
        'access-ttl': { type: 'string', default: '3600' },
        'no-id-jag': { type: 'boolean', default: false },
        'allow-replay': { type: 'boolean', default: false },
    },
});
const usage = 'usage: node jag-as.mjs --idp ISSUER [--resource URL] [--port N] [--client-id ID] '
    + '[--client-auth client_secret_basic|client_secret_post|none] [--access-ttl S] [--no-id-jag] [--allow-replay]';
if (!args.idp || !['client_secret_basic', 'client_secret_post', 'none'].includes(args['client-auth'])) {
    console.error(usage);
    process.exit(2);
}
const accessTtl = positiveSeconds(args, 'access-ttl');
const idJag = !args['no-id-jag'];

let resource = null;
if (args.resource !== undefined) {
    if (!isLoopbackUrl(args.resource)) {
        console.error('--resource must be an http://127.0.0.1 URL');
        process.exit(2);
    }
    resource = args.resource;
}

// The IdP's issuer and JWKS, from its discovery document.
const idpIssuer = args.idp;
const idpMetadata = await (async () => {
    const response = await fetch(`${idpIssuer}/.well-known/openid-configuration`);
    if (!response.ok) {
        throw new Error(`IdP discovery: HTTP ${response.status}`);
    }
    return response.json();
})();
if (idpMetadata.issuer !== idpIssuer) {
    throw new Error(`IdP discovery names issuer ${idpMetadata.issuer}, not ${idpIssuer}`);
}
const idpJwks = createRemoteJWKSet(new URL(idpMetadata.jwks_uri));

const { jwk: signingKey } = await rsaSigningJwk('jag-as-test-key');
const { server, port, origin: issuer } = await loopbackServer(args.port);

const client = {
    client_id: args['client-id'] ?? `latchkey-at-${port}`,
    ...(args['client-auth'] === 'none' ? {} : { client_secret: randomBytes(24).toString('base64url') }),
};

async function resourceServerInfo(ctx, indicator) {
    if (resource ? indicator !== resource : !isLoopbackUrl(indicator)) {
        throw new errors.InvalidTarget(`this AS serves only ${resource ?? 'http://127.0.0.1 resources'}`);
    }
    return {
        scope: RESOURCE_SCOPES.join(' '),
        audience: indicator,
        accessTokenTTL: accessTtl,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
    };
}

const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    clients: [
        {
            ...client,
            token_endpoint_auth_method: args['client-auth'],
            grant_types: idJag ? [JWT_BEARER] : [],
            response_types: [],
            redirect_uris: [],
        },
    ],
    ...providerBasics({ accessTtl }),
    scopes: ['openid', 'offline_access'],
    features: {
        devInteractions: { enabled: true },
        registration: { enabled: true },
        revocation: { enabled: true },
        resourceIndicators: {
            enabled: true,
            defaultResource: async (ctx, c, oneOf) => oneOf,
            useGrantedResource: async () => false,
            getResourceServerInfo: resourceServerInfo,
        },
    },
    discovery: idJag ? { authorization_grant_profiles_supported: [ID_JAG_PROFILE] } : {},
    issueRefreshToken: async (ctx, c) => c.grantTypeAllowed('refresh_token') && ctx.oidc.params.grant_type !== JWT_BEARER,
});

const stats = { token_grants: {}, jwt_bearer_refusals: {}, authorization_requests: 0, registrations: 0 };

// jti → exp (seconds) of every ID-JAG accepted, until it expires.
const seenJti = new Map();
function replayed(jti, exp) {
    const now = Math.floor(Date.now() / 1000);
    for (const [seen, until] of seenJti) {
        if (until < now) {
            seenJti.delete(seen);
        }
    }
    if (seenJti.has(jti)) {
        return true;
    }
    seenJti.set(jti, exp);
    return false;
}

function refuse(reason, description) {
    bump(stats.jwt_bearer_refusals, reason);
    console.error(`jag-as: jwt-bearer refused: ${description}`);
    return new errors.CustomOIDCProviderError('invalid_grant', description);
}

async function jwtBearer(ctx) {
    const { params } = ctx.oidc;
    const caller = ctx.oidc.client;
    if (!params.assertion) {
        throw new errors.InvalidRequest("missing required parameter 'assertion'");
    }
    let header;
    try {
        header = decodeProtectedHeader(params.assertion);
    } catch {
        throw refuse('malformed', 'the assertion is not a JWT');
    }
    if (header.typ !== ID_JAG_TYP) {
        throw refuse('typ', `the assertion is not an ID-JAG (typ ${header.typ ?? 'missing'}, not ${ID_JAG_TYP})`);
    }
    let jag;
    try {
        ({ payload: jag } = await jwtVerify(params.assertion, idpJwks, {
            issuer: idpIssuer,
            audience: issuer,
            typ: ID_JAG_TYP,
            algorithms: ['RS256', 'ES256', 'PS256'],
            requiredClaims: ['sub', 'jti', 'exp', 'iat', 'client_id', 'resource'],
        }));
    } catch (error) {
        const code = error.code ?? 'invalid';
        const what = error.claim ? `${code} (${error.claim})` : code;
        throw refuse(error.claim ?? code, `the ID-JAG was refused: ${what}: ${error.message}`);
    }
    if (jag.client_id !== caller.clientId) {
        throw refuse('client_id', `the ID-JAG was issued for client ${jag.client_id}, not ${caller.clientId}`);
    }
    if (!resource) {
        throw refuse('resource', 'this AS does not know its MCP server yet');
    }
    if (jag.resource !== resource) {
        throw refuse('resource', `the ID-JAG is for ${jag.resource}, this AS serves ${resource}`);
    }
    const requested = [].concat(params.resource ?? []);
    if (requested.some((value) => value !== resource)) {
        throw new errors.InvalidTarget(`this AS serves only ${resource}`);
    }
    const allowed = typeof jag.scope === 'string' ? jag.scope.split(' ').filter(Boolean) : [DEFAULT_SCOPE];
    let scopes = allowed;
    if (params.scope) {
        scopes = params.scope.split(' ').filter((scope) => allowed.includes(scope));
    }
    scopes = scopes.filter((scope) => RESOURCE_SCOPES.includes(scope));
    if (scopes.length === 0) {
        throw new errors.InvalidScope('none of the requested scopes is granted by the ID-JAG', params.scope ?? '');
    }
    if (!args['allow-replay'] && replayed(jag.jti, jag.exp)) {
        throw refuse('jti', 'the ID-JAG was already used (jti replay)');
    }

    const scope = scopes.join(' ');
    const grant = new provider.Grant({ accountId: jag.sub, clientId: caller.clientId });
    grant.addResourceScope(resource, scope);
    const grantId = await grant.save();
    const token = new provider.AccessToken({ accountId: jag.sub, client: caller, grantId, gty: 'jwt_bearer', scope });
    token.resourceServer = new provider.ResourceServer(resource, await resourceServerInfo(ctx, resource));
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();
    ctx.body = { access_token: value, token_type: 'Bearer', expires_in: token.expiration, scope };
}
if (idJag) {
    provider.registerGrantType(JWT_BEARER, jwtBearer, ['assertion', 'scope', 'resource'], ['resource']);
}

provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/auth') {
        stats.authorization_requests += 1;
    }
    await next();
});
provider.on('grant.success', (ctx) => bump(stats.token_grants, ctx.oidc?.params?.grant_type ?? 'unknown'));
provider.on('grant.error', (ctx, error) => {
    bump(stats.token_grants, ctx.oidc?.params?.grant_type ?? 'unknown');
    console.error(`jag-as: token request failed: ${error.error ?? error.name}: ${error.error_description ?? error.message}`);
});
provider.on('registration_create.success', () => {
    stats.registrations += 1;
});
logProviderErrors(provider, 'jag-as', ['authorization.error', 'server_error']);

serveProviderWithHooks(server, provider, port, (req, res, url) => {
    if (req.method === 'GET' && url.pathname === '/__test/stats') {
        json(res, 200, { ...stats, resource });
    } else if (req.method === 'POST' && url.pathname === '/__test/resource') {
        const value = url.searchParams.get('url') ?? '';
        if (!isLoopbackUrl(value)) {
            json(res, 400, { error: 'url must be an http://127.0.0.1 URL' });
            return;
        }
        resource = value;
        json(res, 200, { resource });
    } else {
        json(res, 404, { error: 'no such test hook' });
    }
});

process.stdout.write(`${JSON.stringify({ issuer, port, ...client, client_auth: args['client-auth'], id_jag: idJag })}\n`);

exitOnSignals(server);

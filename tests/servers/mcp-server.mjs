// A protected MCP server for Latchkey's e2e tests: the official SDK's McpServer over Streamable HTTP
// (stateless), on 127.0.0.1, as an OAuth resource server of the test AS (as.mjs).
//
//   node mcp-server.mjs --issuer http://127.0.0.1:PORT [--port 0] [--path /mcp]
//
// Prints one JSON line on stdout once it listens: {"url":"http://127.0.0.1:PORT/mcp","resource_metadata":...}.
//
// - Every MCP request needs `Authorization: Bearer <JWT>`: signature checked against the AS's JWKS
//   (jose), `iss` = the AS issuer, `aud` = this server's canonical URL, not expired. Otherwise 401 with
//   `WWW-Authenticate: Bearer resource_metadata="…", scope="mcp:tools"` (RFC 6750, RFC 9728 §5.1).
// - Protected Resource Metadata at /.well-known/oauth-protected-resource/mcp (RFC 9728): resource =
//   this URL, authorization_servers = [the issuer], scopes_supported.
// - Tools: `test-tool` (needs mcp:tools) and `admin-tool` (needs mcp:admin too: a token without it gets
//   403 insufficient_scope with the scopes to ask for, for step-up).
import { parseArgs } from 'node:util';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';

const { values: args } = parseArgs({
    options: {
        issuer: { type: 'string' },
        port: { type: 'string', default: '0' },
        path: { type: 'string', default: '/mcp' },
    },
});
if (!args.issuer) {
    console.error('usage: node mcp-server.mjs --issuer URL [--port N] [--path /mcp]');
    process.exit(2);
}
const issuer = args.issuer;
const mcpPath = args.path;
const BASE_SCOPE = 'mcp:tools';
const ADMIN_SCOPE = 'mcp:admin';

// The AS's JWKS, found through its metadata (oidc-provider serves OpenID discovery).
async function jwksUri() {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    if (!response.ok) {
        throw new Error(`AS metadata: HTTP ${response.status}`);
    }
    return (await response.json()).jwks_uri;
}
const jwks = createRemoteJWKSet(new URL(await jwksUri()));

const app = createMcpExpressApp({ host: '127.0.0.1' });
let serverUrl; // known once we listen
let resourceMetadataUrl;
const stats = { unauthorized: 0, forbidden: 0, tool_calls: 0 };

function challenge(res, status, error, description, scope) {
    const params = [`resource_metadata="${resourceMetadataUrl}"`, `scope="${scope}"`];
    if (error) {
        params.unshift(`error="${error}"`, `error_description="${description}"`);
    }
    res.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
    res.status(status).json({ error: error ?? 'unauthorized', error_description: description });
}

async function authenticate(req, res, next) {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!match) {
        stats.unauthorized += 1;
        // RFC 6750 §3.1: no error code when the request carried no credentials.
        challenge(res, 401, header ? 'invalid_request' : undefined, 'a Bearer token is required', BASE_SCOPE);
        return;
    }
    try {
        const { payload } = await jwtVerify(match[1], jwks, { issuer, audience: serverUrl });
        req.auth = {
            token: match[1],
            clientId: payload.client_id,
            scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
            expiresAt: payload.exp,
            resource: new URL(serverUrl),
        };
    } catch (error) {
        stats.unauthorized += 1;
        challenge(res, 401, 'invalid_token', `the token is not valid here (${error.code ?? 'invalid'})`, BASE_SCOPE);
        return;
    }
    if (!req.auth.scopes.includes(BASE_SCOPE)) {
        stats.forbidden += 1;
        challenge(res, 403, 'insufficient_scope', `${BASE_SCOPE} is required`, BASE_SCOPE);
        return;
    }
    // Step-up: a call of admin-tool needs mcp:admin as well.
    const calls = Array.isArray(req.body) ? req.body : [req.body];
    const wantsAdmin = calls.some((call) => call?.method === 'tools/call' && call?.params?.name === 'admin-tool');
    if (wantsAdmin && !req.auth.scopes.includes(ADMIN_SCOPE)) {
        stats.forbidden += 1;
        challenge(res, 403, 'insufficient_scope', `admin-tool needs ${ADMIN_SCOPE}`, `${BASE_SCOPE} ${ADMIN_SCOPE}`);
        return;
    }
    next();
}

function makeServer() {
    const server = new McpServer({ name: 'latchkey-e2e-mcp', version: '1.0.0' });
    server.registerTool('test-tool', { description: 'Answers with a fixed text and the caller\'s client_id' },
        async (extra) => {
            stats.tool_calls += 1;
            return { content: [{ type: 'text', text: `test-tool ok for ${extra.authInfo?.clientId ?? 'nobody'}` }] };
        });
    server.registerTool('admin-tool', { description: `Needs the ${ADMIN_SCOPE} scope` }, async () => {
        stats.tool_calls += 1;
        return { content: [{ type: 'text', text: 'admin-tool ok' }] };
    });
    return server;
}

app.get(`/.well-known/oauth-protected-resource${mcpPath}`, (req, res) => {
    res.json({
        resource: serverUrl,
        authorization_servers: [issuer],
        scopes_supported: [BASE_SCOPE, ADMIN_SCOPE],
        bearer_methods_supported: ['header'],
        resource_name: 'Latchkey e2e MCP server',
    });
});

app.get('/__test/stats', (req, res) => res.json(stats));

app.post(mcpPath, authenticate, async (req, res) => {
    const server = makeServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
        transport.close();
        server.close();
    });
    try {
        await server.connect(transport);
        await transport.handleRequest(req, res, req.body);
    } catch (error) {
        console.error('mcp-server:', error);
        if (!res.headersSent) {
            res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null });
        }
    }
});
for (const method of ['get', 'delete']) {
    app[method](mcpPath, authenticate, (req, res) => {
        res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
    });
}

const listener = app.listen(Number.parseInt(args.port, 10), '127.0.0.1', () => {
    const { port } = listener.address();
    serverUrl = `http://127.0.0.1:${port}${mcpPath}`;
    resourceMetadataUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource${mcpPath}`;
    process.stdout.write(`${JSON.stringify({ url: serverUrl, resource_metadata: resourceMetadataUrl })}\n`);
});
listener.on('error', (error) => {
    console.error('mcp-server:', error.message);
    process.exit(1);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
        listener.close();
        process.exit(0);
    });
}

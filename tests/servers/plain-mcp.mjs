// An unauthenticated MCP server for the bridge's tests (`latchkey connect`): the official SDK's McpServer
// over Streamable HTTP with sessions, on 127.0.0.1, plus tools that misbehave on purpose.
//
//   node plain-mcp.mjs [--port 0] [--path /mcp] [--json]
//
// Prints one JSON line on stdout once it listens: {"url":"http://127.0.0.1:PORT/mcp"}.
//
// - Sessions (Mcp-Session-Id); answers as an event stream per POST, or as JSON with --json. GET opens
//   the session's stream; DELETE ends the session.
// - Tools served by the SDK: `echo` (answers {text}), `notify` (sends a notifications/message on the
//   request's stream first, then answers).
// - Tools answered here, before the SDK sees them (their `size` argument, bytes, defaults to 100 MiB):
//     `garbage-sse`     200 text/event-stream: events whose data is not JSON, then the stream ends
//                       without an answer
//     `long-line-sse`   200 text/event-stream: one `data:` line of `size` bytes, no line end
//     `huge-event-sse`  200 text/event-stream: one event of `size` bytes in 64 KiB `data:` lines
//     `flood-sse`       200 text/event-stream: `size` bytes of well-formed notifications/message events,
//                       then the answer
//     `garbage-json`    200 application/json that is not JSON
//     `huge-json`       200 application/json of `size` bytes (a JSON string that never ends)
//   The big ones are written with back-pressure, so the server's own memory stays small.
//
// Static credential (the API-key rung): with PLAIN_MCP_REQUIRE_HEADER=<field> and PLAIN_MCP_REQUIRE_VALUE=<value>
// in the environment (never argv), every request to the MCP path without exactly that header gets 401.
//
// Test hook: GET /__test/stats → {"sessions":[ids created],"deleted":[ids DELETEd],"posts":N,"gets":N}.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const { values: args } = parseArgs({
    options: {
        port: { type: 'string', default: '0' },
        path: { type: 'string', default: '/mcp' },
        json: { type: 'boolean', default: false },
    },
});
const mcpPath = args.path;
const stats = { sessions: [], deleted: [], posts: 0, gets: 0 };
const transports = new Map(); // session id → transport

function makeServer() {
    const server = new McpServer({ name: 'latchkey-plain-mcp', version: '1.0.0' }, { capabilities: { logging: {} } });
    server.registerTool('echo', { description: 'Answers with its text', inputSchema: { text: z.string().optional() } },
        async ({ text }) => ({ content: [{ type: 'text', text: text ?? '' }] }));
    server.registerTool('notify', { description: 'Logs a message on the request stream, then answers' },
        async (extra) => {
            await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'working' } });
            return { content: [{ type: 'text', text: 'notified' }] };
        });
    return server;
}

// Writes `total` bytes made by chunk(n) to res, waiting for 'drain' when the socket is full.
async function writeBig(res, total, chunk) {
    let left = total;
    while (left > 0 && !res.destroyed) {
        const piece = chunk(Math.min(left, 64 * 1024));
        left -= piece.length;
        if (!res.write(piece)) {
            await new Promise((resolve) => {
                res.once('drain', resolve);
                res.once('close', resolve);
            });
        }
    }
}

const HOSTILE = {
    'garbage-sse': async (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: this is not JSON\n\n');
        res.write('event: message\ndata: {"jsonrpc":\n\n');
        res.end(': and the stream ends without an answer\n\n');
    },
    'long-line-sse': async (res, size) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: ');
        await writeBig(res, size, (n) => Buffer.alloc(n, 'x'));
        res.end();
    },
    'huge-event-sse': async (res, size) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const line = `data: ${'y'.repeat(64 * 1024 - 7)}\n`;
        await writeBig(res, size, () => Buffer.from(line));
        res.end('\n');
    },
    'flood-sse': async (res, size, id) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const event = `event: message\ndata: ${JSON.stringify({
            jsonrpc: '2.0', method: 'notifications/message', params: { level: 'debug', data: 'z'.repeat(900) },
        })}\n\n`;
        await writeBig(res, size, () => Buffer.from(event));
        res.end(`event: message\ndata: ${JSON.stringify({
            jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'flood done' }] },
        })}\n\n`);
    },
    'garbage-json': async (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>this is not JSON</html>');
    },
    'huge-json': async (res, size) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"jsonrpc":"2.0","id":1,"result":"');
        await writeBig(res, size, (n) => Buffer.alloc(n, 'q'));
        res.end();
    },
};

const app = createMcpExpressApp({ host: '127.0.0.1' });

app.get('/__test/stats', (req, res) => res.json(stats));

const requiredHeader = process.env.PLAIN_MCP_REQUIRE_HEADER?.toLowerCase();
const requiredValue = process.env.PLAIN_MCP_REQUIRE_VALUE;
if (requiredHeader && requiredValue) {
    app.use(mcpPath, (req, res, next) => {
        if (req.headers[requiredHeader] !== requiredValue) {
            stats.refused = (stats.refused ?? 0) + 1;
            res.status(401).json({ jsonrpc: '2.0', error: { code: -32001, message: 'missing or wrong credential' }, id: null });
            return;
        }
        next();
    });
}

app.post(mcpPath, async (req, res) => {
    stats.posts += 1;
    const body = req.body;
    if (body?.method === 'tools/call' && Object.hasOwn(HOSTILE, body?.params?.name)) {
        const size = Number(body.params.arguments?.size ?? 100 * 1024 * 1024);
        await HOSTILE[body.params.name](res, size, body.id);
        return;
    }
    const sessionId = req.headers['mcp-session-id'];
    try {
        let transport = sessionId ? transports.get(sessionId) : undefined;
        if (!transport) {
            if (sessionId || !isInitializeRequest(body)) {
                res.status(sessionId ? 404 : 400).json({
                    jsonrpc: '2.0', error: { code: -32000, message: sessionId ? 'Session not found' : 'No session' }, id: null,
                });
                return;
            }
            transport = new StreamableHTTPServerTransport({
                sessionIdGenerator: () => randomUUID(),
                enableJsonResponse: args.json,
                onsessioninitialized: (id) => {
                    transports.set(id, transport);
                    stats.sessions.push(id);
                },
            });
            transport.onclose = () => transports.delete(transport.sessionId);
            await makeServer().connect(transport);
        }
        await transport.handleRequest(req, res, body);
    } catch (error) {
        console.error('plain-mcp:', error);
        if (!res.headersSent) {
            res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null });
        }
    }
});

for (const method of ['get', 'delete']) {
    app[method](mcpPath, async (req, res) => {
        const sessionId = req.headers['mcp-session-id'];
        const transport = sessionId ? transports.get(sessionId) : undefined;
        if (method === 'get') {
            stats.gets += 1;
        } else if (transport) {
            stats.deleted.push(sessionId);
        }
        if (!transport) {
            res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
            return;
        }
        await transport.handleRequest(req, res);
    });
}

const listener = app.listen(Number.parseInt(args.port, 10), '127.0.0.1', () => {
    const { port } = listener.address();
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}${mcpPath}` })}\n`);
});
listener.on('error', (error) => {
    console.error('plain-mcp:', error.message);
    process.exit(1);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
        listener.close();
        process.exit(0);
    });
}

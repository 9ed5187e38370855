// The official WebSocketClient (@mattermost/client, unchanged) against the realtime nodes, with changes made
// through the api nodes: posts, typing from a user on the other realtime node, and a dropped socket that the
// client reconnects, on the other node, resuming where it was (same connection id, no resync).
import assert from 'node:assert/strict';
import {describe, it, before, after} from 'node:test';
import client from '@mattermost/client';
import {apiUrls, signUp, unique} from './support.js';

const {WebSocketClient} = client;

/** The realtime nodes' base URLs, e.g. CHAT_REALTIME_URLS=http://127.0.0.1:8201,http://127.0.0.1:8202 */
export const realtimeUrls = (process.env.CHAT_REALTIME_URLS ?? '').split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);

const skip = realtimeUrls.length < 2 ? 'set CHAT_REALTIME_URLS to two realtime nodes' : false;

if (!skip && typeof WebSocket === 'undefined') {
    throw new Error('The WebSocketClient needs a global WebSocket: Node.js 22, or Node.js 20 with --experimental-websocket (e.g. NODE_OPTIONS=--experimental-websocket).');
}
// The client builds a CloseEvent when it gives up on a socket (missed pong, seq mismatch); Node.js 20 has none.
globalThis.CloseEvent ??= class CloseEvent extends Event {
    constructor(type, init = {}) {
        super(type);
        this.code = init.code;
        this.reason = init.reason ?? '';
        this.wasClean = init.wasClean ?? false;
    }
};

function socketUrl(httpUrl) {
    return `${httpUrl.replace(/^http/, 'ws')}/api/v4/websocket`;
}

/** Resolves once `predicate` holds, polling; fails after `ms` with `what`. */
async function eventually(predicate, what, ms = 15000) {
    const deadline = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

/** An official client that records what it gets, opening its sockets on the given realtime URLs in turn. */
function connect(urls, token) {
    const opened = [];
    const ws = new WebSocketClient({
        minWebSocketRetryTime: 100,
        reconnectJitterRange: 10,
        newWebSocketFn: (url) => {
            const base = urls[Math.min(opened.length, urls.length - 1)];
            opened.push(base);
            return new WebSocket(url.replace(socketUrl(urls[0]), socketUrl(base)));
        },
    });
    const record = {ws, opened, events: [], missed: 0, reconnects: 0, closes: 0};
    ws.addMessageListener((msg) => record.events.push(msg));
    ws.addMissedMessageListener(() => record.missed++);
    ws.addReconnectListener(() => record.reconnects++);
    ws.addCloseListener(() => record.closes++);
    ws.initialize(socketUrl(urls[0]), token);
    return record;
}

const posted = (record, postId) => record.events.find((m) => m.event === 'posted' && JSON.parse(m.data.post).id === postId);

describe('the official WebSocketClient on the realtime nodes', {skip}, () => {
    let alice;
    let bob;
    let channel;
    const sockets = [];

    before(async () => {
        alice = await signUp(apiUrls, 'alice', 0);
        bob = await signUp(apiUrls, 'bob', 1);
        const team = await alice.on(0).createTeam({name: unique('ws-'), display_name: 'WebSocket', type: 'O'});
        await alice.on(1).addToTeam(team.id, bob.id);
        channel = await alice.on(0).createChannel({team_id: team.id, name: unique('ws-'), display_name: 'WebSocket', type: 'O'});
        await alice.on(1).addToChannel(bob.id, channel.id);
    });

    after(() => {
        for (const s of sockets) {
            s.ws.close();
        }
    });

    it('connected to realtime-1, gets posts made through the other api node and typing from realtime-2', async () => {
        const bobSocket = connect([realtimeUrls[0]], bob.on(0).getToken());
        const aliceSocket = connect([realtimeUrls[1]], alice.on(0).getToken());
        sockets.push(bobSocket, aliceSocket);
        await eventually(() => bobSocket.events.some((m) => m.event === 'hello'), 'bob\'s hello');
        await eventually(() => aliceSocket.events.some((m) => m.event === 'hello'), 'alice\'s hello');
        const hello = bobSocket.events[0];
        assert.equal(hello.event, 'hello');
        assert.equal(hello.seq, 0);
        assert.equal(bobSocket.ws.connectionId, hello.data.connection_id);
        assert.ok(hello.data.server_version);
        assert.ok(bobSocket.ws.serverHostname, 'the hello names the node');
        await eventually(() => !bobSocket.ws.waitingForPong, 'the pong to the client\'s first ping');

        const post = await alice.on(apiUrls.length - 1).createPost({channel_id: channel.id, message: 'through the other api node'});
        await eventually(() => posted(bobSocket, post.id), 'the posted event');
        const event = posted(bobSocket, post.id);
        assert.equal(JSON.parse(event.data.post).message, 'through the other api node');
        assert.equal(event.data.channel_type, 'O');
        assert.equal(event.data.sender_name, `@${alice.username}`);
        assert.equal(event.broadcast.channel_id, channel.id);

        let typingReply;
        aliceSocket.ws.userTyping(channel.id, '', (reply) => {
            typingReply = reply;
        });
        await eventually(() => bobSocket.events.some((m) => m.event === 'typing'), 'the typing event');
        const typing = bobSocket.events.find((m) => m.event === 'typing');
        assert.equal(typing.data.user_id, alice.id);
        assert.equal(typing.broadcast.channel_id, channel.id);
        await eventually(() => typingReply, 'the reply to user_typing');
        assert.equal(typingReply.status, 'OK');
        assert.ok(!aliceSocket.events.some((m) => m.event === 'typing'), 'the typist gets no typing event of their own');

        // The client checks every seq itself and reconnects on a gap: it never had to.
        assert.equal(bobSocket.ws.serverSequence, bobSocket.events.length);
        assert.equal(bobSocket.closes, 0);
    });

    it('reconnects a dropped socket to the other node and resumes: same connection, every missed post, no resync', async () => {
        const record = connect([realtimeUrls[0], realtimeUrls[1]], bob.on(0).getToken());
        sockets.push(record);
        await eventually(() => record.events.some((m) => m.event === 'hello'), 'hello');
        const connectionId = record.ws.connectionId;
        const first = await alice.on(0).createPost({channel_id: channel.id, message: 'before the drop'});
        await eventually(() => posted(record, first.id), 'the first post');

        record.ws.conn.close();
        const missed = [];
        for (let i = 0; i < 3; i++) {
            missed.push(await alice.on(i).createPost({channel_id: channel.id, message: `while reconnecting ${i}`}));
        }
        await eventually(() => record.reconnects === 1, 'the reconnect');
        await eventually(() => missed.every((p) => posted(record, p.id)), 'the missed posts');

        assert.deepEqual(record.opened, [realtimeUrls[0], realtimeUrls[1]]);
        assert.equal(record.ws.connectionId, connectionId);
        assert.equal(record.missed, 0, 'no new connection id, so no resync');
        assert.equal(record.events.filter((m) => m.event === 'hello').length, 1);
        const order = record.events.filter((m) => m.event === 'posted').map((m) => JSON.parse(m.data.post).id);
        assert.deepEqual(order, [first.id, ...missed.map((p) => p.id)]);
        assert.deepEqual(record.events.map((m) => m.seq), record.events.map((_, i) => i));
        assert.equal(record.ws.serverSequence, record.events.length);
    });
});

// The official SignalR JavaScript client (@microsoft/signalr) against the realtime nodes' hub: the same events as
// the Mattermost WebSocket, for a post made through an api node.
import assert from 'node:assert/strict';
import {describe, it, before} from 'node:test';
import * as signalR from '@microsoft/signalr';
import {apiUrls, signUp, unique} from './support.js';

const realtimeUrls = (process.env.CHAT_REALTIME_URLS ?? '').split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);

async function eventually(predicate, what, ms = 15000) {
    const deadline = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

describe('the SignalR JavaScript client on the events hub', {skip: realtimeUrls.length === 0 ? 'set CHAT_REALTIME_URLS' : false}, () => {
    let alice;
    let bob;
    let channel;

    before(async () => {
        alice = await signUp(apiUrls, 'alice', 0);
        bob = await signUp(apiUrls, 'bob', 1);
        const team = await alice.on(0).createTeam({name: unique('hub-'), display_name: 'Hub', type: 'O'});
        await alice.on(1).addToTeam(team.id, bob.id);
        channel = await alice.on(0).createChannel({team_id: team.id, name: unique('hub-'), display_name: 'Hub', type: 'O'});
        await alice.on(1).addToChannel(bob.id, channel.id);
    });

    it('gets the hello and a post made through an api node, numbered like the WebSocket', async () => {
        const events = [];
        const connection = new signalR.HubConnectionBuilder()
            .withUrl(`${realtimeUrls[0]}/hubs/events`, {accessTokenFactory: () => bob.on(0).getToken()})
            .configureLogging(signalR.LogLevel.Warning)
            .build();
        connection.on('event', (msg) => events.push(msg));
        await connection.start();
        try {
            await eventually(() => events.length > 0, 'the hello');
            assert.equal(events[0].event, 'hello');
            assert.equal(events[0].seq, 0);
            assert.match(events[0].data.connection_id, /^[a-z0-9]{26}$/);

            const post = await alice.on(apiUrls.length - 1).createPost({channel_id: channel.id, message: 'to the hub'});
            await eventually(() => events.some((m) => m.event === 'posted'), 'the posted event');
            const posted = events.find((m) => m.event === 'posted');
            assert.equal(JSON.parse(posted.data.post).id, post.id);
            assert.equal(posted.broadcast.channel_id, channel.id);
            assert.deepEqual(events.map((m) => m.seq), events.map((_, i) => i));
        } finally {
            await connection.stop();
        }
    });

    it('refuses a connection without a valid session', async () => {
        const connection = new signalR.HubConnectionBuilder()
            .withUrl(`${realtimeUrls[0]}/hubs/events`, {accessTokenFactory: () => 'not-a-token'})
            .configureLogging(signalR.LogLevel.None)
            .build();
        await assert.rejects(connection.start(), /401/);
    });
});

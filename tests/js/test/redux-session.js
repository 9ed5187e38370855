// The web app's own data layer, mattermost-redux, as the web app runs it: one redux store per signed-in user
// (configureStore) and mattermost-redux's actions over its Client4. Those actions all call the module-level Client4
// singleton, so the singleton is replaced by a proxy that forwards to the Client4 of the session whose action is
// running (AsyncLocalStorage follows the action through every await, timer and fire-and-forget request it starts).
// Every request a session makes is recorded, so a failure names the call the server refused.
import assert from 'node:assert/strict';
import {AsyncLocalStorage} from 'node:async_hooks';
import {createRequire} from 'node:module';
import client from '@mattermost/client';
import {Client4 as Client4Class, PASSWORD, clientAt, unique} from './support.js';

const require = createRequire(import.meta.url);
const clientModule = require('mattermost-redux/client');
export const configureStore = require('mattermost-redux/store').default;
export const actions = {
    users: require('mattermost-redux/actions/users'),
    teams: require('mattermost-redux/actions/teams'),
    channels: require('mattermost-redux/actions/channels'),
    roles: require('mattermost-redux/actions/roles'),
    posts: require('mattermost-redux/actions/posts'),
    general: require('mattermost-redux/actions/general'),
};

const current = new AsyncLocalStorage();
const outside = new Client4Class();
clientModule.Client4 = new Proxy(outside, {
    get(_, property) {
        const client = current.getStore() ?? outside;
        const value = client[property];
        return typeof value === 'function' ? value.bind(client) : value;
    },
    set(_, property, value) {
        (current.getStore() ?? outside)[property] = value;
        return true;
    },
});

function describeRequest(r) {
    const outcome = r.error ? `${r.status ?? 'no response'} ${r.error}` : r.status;
    return `${r.method} ${r.path} → ${outcome}`;
}

/**
 * A signed-in user as the web app holds them: a store, one Client4 per URL (all sharing the session token), and
 * the log of every request their actions made. `dispatch(action, i)` runs the action with the client for step i.
 */
export class ReduxSession {
    constructor(urls, username, user) {
        this.urls = urls;
        this.username = username;
        this.user = user;
        this.store = configureStore({});
        this.requests = [];
        this.inFlight = 0;
        this.clients = urls.map((url) => this.#client(url));
    }

    #client(url) {
        const client = new Client4Class();
        client.setUrl(url);
        const fetchWithResponse = client.doFetchWithResponse;
        client.doFetchWithResponse = async (requestUrl, options) => {
            const entry = {method: (options.method ?? 'get').toUpperCase(), path: requestUrl.slice(url.length), url};
            this.requests.push(entry);
            this.inFlight++;
            try {
                const result = await fetchWithResponse(requestUrl, options);
                entry.status = result.response.status;
                return result;
            } catch (err) {
                entry.status = err.status_code;
                entry.error = err.server_error_id ?? err.message;
                throw err;
            } finally {
                this.inFlight--;
            }
        };
        return client;
    }

    get id() {
        return this.user.id;
    }

    get state() {
        return this.store.getState();
    }

    /** Logs in through the client for step i (the web app's login form does the same call) and shares the token. */
    async login(i = 0) {
        const c = this.clients[i % this.clients.length];
        this.user = await current.run(c, () => c.login(this.username, PASSWORD));
        for (const other of this.clients) {
            other.setToken(c.getToken());
        }
        // The web app learns the server version from the first response (X-Version-Id); loadMe takes it from there.
        this.store.dispatch(actions.general.setServerVersion(c.getServerVersion()));
        return this.user;
    }

    dispatch(action, i = 0) {
        return current.run(this.clients[i % this.clients.length], () => this.store.dispatch(action));
    }

    /**
     * Runs an action and requires what the web app requires of it: no {error} in its result, no request of it refused
     * (many actions swallow their sub-requests' errors or send requests in the background), and nothing in the
     * store's error log. Returns the action's result.
     */
    async run(what, action, i = 0) {
        const first = this.requests.length;
        const errorsBefore = this.state.errors.length;
        const result = await this.dispatch(action, i);
        await this.settled();
        const made = this.requests.slice(first);
        const refused = made.filter((r) => r.error);
        const requests = made.map(describeRequest).join('\n    ') || '(none)';
        assert.ok(refused.length === 0, `${what}: the server refused ${refused.length} of its requests; all it made:\n    ${requests}`);
        assert.ok(result && !('error' in result && result.error), `${what} returned an error: ${result?.error?.message ?? JSON.stringify(result?.error)}\n    ${requests}`);
        const logged = this.state.errors.slice(errorsBefore).map((e) => e.error?.message ?? JSON.stringify(e));
        assert.ok(logged.length === 0, `${what}: errors logged in the store: ${logged.join('; ')}`);
        assert.deepEqual([...(this.state.entities.roles.pending ?? [])], [], `${what}: roles left pending (no server version known?)`);
        return result;
    }

    /** Waits until the session has no request in flight, background ones included, for a quiet 150 ms. */
    async settled(ms = 10000) {
        const deadline = Date.now() + ms;
        let quietSince = Date.now();
        for (;;) {
            if (this.inFlight > 0) {
                quietSince = Date.now();
            } else if (Date.now() - quietSince >= 150) {
                return;
            }
            assert.ok(Date.now() < deadline, `requests still in flight after ${ms} ms`);
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
    }

    /** The same signed-in user in a second browser tab: same token, an empty store. */
    anotherTab() {
        const tab = new ReduxSession(this.urls, this.username, this.user);
        const token = this.clients[0].getToken();
        for (const c of tab.clients) {
            c.setToken(token);
        }
        tab.store.dispatch(actions.general.setServerVersion(this.state.entities.general.serverVersion));
        return tab;
    }

    /** The requests made since `from` (an index into `requests`), as "METHOD path" strings. */
    madeSince(from) {
        return this.requests.slice(from).map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`);
    }
}

/** Signs `username` up anonymously through urls[i] and logs in through the next URL, as the web app's sign-up page does. */
export async function signUpSession(urls, username, i = 0) {
    await clientAt(urls[i % urls.length]).createUser({
        username,
        email: `${username}@example.com`,
        password: PASSWORD,
        first_name: 'First',
        last_name: username,
    }, '', '');
    const session = new ReduxSession(urls, username, null);
    await session.login(i + 1);
    return session;
}

/** The realtime nodes' base URLs (CHAT_REALTIME_URLS), for the checks that need the `posted` event. */
export const realtimeUrls = (process.env.CHAT_REALTIME_URLS ?? '').split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);

/** Why the WebSocket checks cannot run here, or false. */
export const noSocket = realtimeUrls.length === 0 ? 'set CHAT_REALTIME_URLS to a realtime node' :
    typeof WebSocket === 'undefined' ? 'needs a global WebSocket (Node.js 22, or Node.js 20 with --experimental-websocket)' : false;

/** The official WebSocketClient on a realtime node for a session's token, recording every event it gets. */
export async function openSocket(url, session) {
    const ws = new client.WebSocketClient();
    const events = [];
    ws.addMessageListener((msg) => events.push(msg));
    ws.initialize(`${url.replace(/^http/, 'ws')}/api/v4/websocket`, session.clients[0].getToken());
    const socket = {ws, events, close: () => ws.close()};
    await eventually(() => events.some((m) => m.event === 'hello'), 'the hello event');
    return socket;
}

/** Resolves once `predicate` returns something truthy, polling; fails after `ms` naming `what`. */
export async function eventually(predicate, what, ms = 10000) {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = predicate();
        if (value) {
            return value;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

/**
 * Alice and bob signed up and booted (loadMe) through the route's URLs, in a new open team made by alice, both
 * members of its public channel "Talk": where a suite's flows between two users start.
 */
export async function twoMembersOfAChannel(urls, tag, teamPrefix, teamDisplayName) {
    const alice = await signUpSession(urls, `${tag}alice`, 0);
    const bob = await signUpSession(urls, `${tag}bob`, 1);
    const setup = alice.clients[0];
    const team = await setup.createTeam({name: unique(teamPrefix), display_name: teamDisplayName, type: 'O', allow_open_invite: true});
    await setup.addToTeam(team.id, bob.id);
    const talk = await setup.createChannel({team_id: team.id, name: unique('talk-'), display_name: 'Talk', type: 'O'});
    await setup.addToChannel(bob.id, talk.id);
    for (const [i, s] of [alice, bob].entries()) {
        await s.dispatch(actions.users.loadMe(), i);
        await s.settled();
    }
    return {alice, bob, team, talk};
}

// Shared set-up for the suites: where the servers are, unique names, and users that hold one
// unchanged Client4 per server URL, all sharing the session token obtained by one login.
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import client from '@mattermost/client';

export const {Client4, ClientError} = client;

function baseUrl(url) {
    return url.trim().replace(/\/+$/, '');
}

/** The api nodes' base URLs, e.g. CHAT_API_URLS=http://127.0.0.1:8101,http://127.0.0.1:8102 */
export const apiUrls = (process.env.CHAT_API_URLS ?? '').split(',').map(baseUrl).filter(Boolean);

/** The nginx edge in front of the api nodes, when there is one. */
export const edgeUrl = process.env.CHAT_EDGE_URL ? baseUrl(process.env.CHAT_EDGE_URL) : '';

if (apiUrls.length === 0) {
    throw new Error('Set CHAT_API_URLS to a comma-separated list of api node base URLs, e.g. http://127.0.0.1:8101,http://127.0.0.1:8102');
}

/**
 * The routes every flow runs over. Writes and reads alternate between the URLs of a route, so each
 * read is served by a different process than the write it checks (when there are two or more).
 * Through the edge, every other request goes through it and the rest straight to a node.
 */
export const routes = [
    {name: `api nodes ${apiUrls.join(' + ')}`, urls: apiUrls},
    ...(edgeUrl ? [{name: `edge ${edgeUrl} + api nodes`, urls: [edgeUrl, ...apiUrls]}] : []),
];

/** A lowercase name that no earlier run used: prefix (at most 10 characters) + 10 hex digits. */
export function unique(prefix) {
    return `${prefix}${randomBytes(5).toString('hex')}`;
}

export const PASSWORD = 'Passw0rd-for-js-tests!';

export function clientAt(url, token = '') {
    const c = new Client4();
    c.setUrl(url);
    if (token) {
        c.setToken(token);
    }
    return c;
}

/** A user seen through one Client4 per URL; `on(i)` picks the client for step i, round robin. */
export class Actor {
    constructor(urls, profile) {
        this.urls = urls;
        this.profile = profile;
        this.clients = urls.map((url) => clientAt(url));
    }

    get id() {
        return this.profile.id;
    }

    get username() {
        return this.profile.username;
    }

    on(i) {
        return this.clients[i % this.clients.length];
    }

    /** Logs in through the client for step i and hands the session token to the others. */
    async login(i = 0) {
        const c = this.on(i);
        const me = await c.login(this.profile.username, PASSWORD);
        const token = c.getToken();
        assert.ok(token, 'login must return the session token in the Token header');
        for (const other of this.clients) {
            other.setToken(token);
        }
        return me;
    }
}

/** Signs a new user up anonymously through urls[i], then logs in through the next URL. */
export async function signUp(urls, prefix, i = 0) {
    const username = unique(prefix);
    const anonymous = clientAt(urls[i % urls.length]);
    const profile = await anonymous.createUser({
        username,
        email: `${username}@example.com`,
        password: PASSWORD,
        first_name: 'First',
        last_name: prefix,
    }, '', '');
    const actor = new Actor(urls, profile);
    await actor.login(i + 1);
    return actor;
}

export const ID = /^[a-z0-9]{26}$/;

/**
 * Asserts that `promise` rejects with the client's ClientError built from our AppError:
 * the HTTP status in status_code and Mattermost's error id in server_error_id.
 */
export async function rejectsWithAppError(promise, status, errorId) {
    await assert.rejects(promise, (err) => {
        assert.ok(err instanceof ClientError, `expected a ClientError, got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.status_code, status, `status_code of ${err.url}: ${err.message}`);
        if (errorId instanceof RegExp) {
            assert.match(err.server_error_id, errorId);
        } else if (errorId) {
            assert.equal(err.server_error_id, errorId);
        } else {
            assert.match(err.server_error_id ?? '', /^[a-z0-9_.]+$/, 'server_error_id must be a Mattermost error id');
        }
        assert.ok(err.message.length > 0, 'the AppError message must reach the client');
        return true;
    });
}

/**
 * Like rejectsWithAppError, for a change that reaches other nodes' caches through the cluster-event log: the call is
 * repeated until it is refused, for at most `withinMs` (the promised invalidation delay).
 */
export async function eventuallyRejectsWithAppError(call, status, errorId, withinMs = 1000) {
    const deadline = Date.now() + withinMs;
    for (;;) {
        try {
            await call();
        } catch (err) {
            return rejectsWithAppError(Promise.reject(err), status, errorId);
        }
        assert.ok(Date.now() < deadline, `still allowed after ${withinMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

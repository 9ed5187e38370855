import assert from 'node:assert/strict';
import {describe, it, before} from 'node:test';
import {ID, PASSWORD, clientAt, rejectsWithAppError, routes, signUp, unique} from './support.js';

for (const route of routes) {
    describe(`users through ${route.name}`, () => {
        let alice;
        let bob;
        let carol;

        before(async () => {
            alice = await signUp(route.urls, 'alice', 0);
            bob = await signUp(route.urls, 'bob', 1);
            carol = await signUp(route.urls, 'carol', 0);
        });

        it('ping answers OK on every URL', async () => {
            for (const url of route.urls) {
                const pong = await clientAt(url).ping(false);
                assert.equal(pong.status, 'OK');
            }
        });

        it('sign-up returns the new user in Mattermost shape', () => {
            const p = alice.profile;
            assert.match(p.id, ID);
            assert.match(p.username, /^alice[0-9a-f]{10}$/);
            assert.equal(p.email, `${p.username}@example.com`);
            assert.equal(p.last_name, 'alice');
            assert.ok(p.create_at > 1.6e12 && p.create_at <= Date.now() + 60_000, 'create_at is in milliseconds');
            assert.equal(p.update_at, p.create_at);
            assert.equal(p.delete_at, 0);
            assert.match(p.roles, /\bsystem_user\b/);
            assert.equal(p.password, undefined, 'the password never comes back');
            assert.equal(p.password_hash, undefined);
        });

        it('login on one node gives a token that works on every node', async () => {
            for (let i = 0; i < route.urls.length; i++) {
                const me = await alice.on(i).getMe();
                assert.equal(me.id, alice.id);
                assert.equal(me.email, alice.profile.email);
            }
        });

        it('login by email works too', async () => {
            const c = clientAt(route.urls[route.urls.length - 1]);
            const me = await c.login(bob.profile.email, PASSWORD);
            assert.equal(me.id, bob.id);
            assert.ok(c.getToken());
            assert.notEqual(c.getToken(), bob.on(0).getToken(), 'each login is its own session');
        });

        it('getUser, getUserByUsername and getProfilesByIds read users written through another node', async () => {
            const user = await alice.on(1).getUser(bob.id);
            assert.equal(user.id, bob.id);
            assert.equal(user.username, bob.username);
            assert.equal(user.password, undefined);

            const byName = await alice.on(0).getUserByUsername(bob.username);
            assert.equal(byName.id, bob.id);

            const many = await bob.on(0).getProfilesByIds([alice.id, bob.id]);
            assert.deepEqual(many.map((u) => u.id).sort(), [alice.id, bob.id].sort());
        });

        it('getProfiles pages through users in username order', async () => {
            const first = await alice.on(0).getProfiles(0, 2);
            const second = await alice.on(1).getProfiles(1, 2);
            assert.equal(first.length, 2);
            assert.ok(second.length >= 1);
            const names = [...first, ...second].map((u) => u.username);
            assert.deepEqual(names, [...names].sort(), 'pages follow username order');
            assert.equal(new Set(names).size, names.length, 'pages do not overlap');

            // Every user is reachable by paging, whichever node serves the page.
            let found = false;
            for (let page = 0; page < 100 && !found; page++) {
                const users = await alice.on(page).getProfiles(page, 200);
                found = users.some((u) => u.id === bob.id);
                if (users.length < 200) {
                    break;
                }
            }
            assert.ok(found, 'bob appears on some page of getProfiles');
        });

        it('logout on one node ends the session on every node', async () => {
            const last = route.urls.length - 1;
            const loggedOut = await carol.on(last).logout();
            assert.equal(loggedOut.status, 200);
            assert.equal(carol.on(last).getToken(), '', 'Client4 forgets the token after logout');
            for (let i = 0; i < route.urls.length - 1; i++) {
                await rejectsWithAppError(carol.on(i).getMe(), 401, 'api.context.session_expired.app_error');
            }
            // Logging in again starts a new session.
            await carol.login(0);
            assert.equal((await carol.on(1).getMe()).id, carol.id);
        });

        it('Client4 lists a user\'s sessions and revokes one on every node', async () => {
            const last = route.urls.length - 1;
            const second = clientAt(route.urls[last]);
            await second.login(bob.username, PASSWORD);
            const sessions = await bob.on(0).getSessions(bob.id);
            assert.ok(sessions.length >= 2);
            for (const s of sessions) {
                assert.match(s.id, ID);
                assert.equal(s.token, '', 'tokens are never listed');
                assert.equal(s.user_id, bob.id);
            }
            const newest = sessions.reduce((a, b) => (a.create_at > b.create_at ? a : b));
            await rejectsWithAppError(alice.on(0).getSessions(bob.id), 403, 'api.context.permissions.app_error');
            await rejectsWithAppError(alice.on(0).revokeSession(bob.id, newest.id), 403, 'api.context.permissions.app_error');
            assert.equal((await bob.on(0).revokeSession(bob.id, newest.id)).status, 'OK');
            for (let i = 0; i < route.urls.length; i++) {
                await rejectsWithAppError(clientAt(route.urls[i], second.getToken()).getMe(), 401, 'api.context.session_expired.app_error');
                assert.equal((await bob.on(i).getMe()).id, bob.id);
            }
        });

        it('duplicate usernames and bad sign-ups are AppErrors', async () => {
            const anonymous = clientAt(route.urls[1 % route.urls.length]);
            await rejectsWithAppError(anonymous.createUser({
                username: alice.username,
                email: `${unique('dup')}@example.com`,
                password: PASSWORD,
            }, '', ''), 400, 'app.user.save.username_exists.app_error');
            await rejectsWithAppError(anonymous.createUser({
                username: unique('mail'),
                email: alice.profile.email,
                password: PASSWORD,
            }, '', ''), 400, 'app.user.save.email_exists.app_error');
            await rejectsWithAppError(anonymous.createUser({
                username: 'No Spaces Allowed',
                email: `${unique('bad')}@example.com`,
                password: PASSWORD,
            }, '', ''), 400, 'model.user.is_valid.username.app_error');
        });

        it('wrong passwords and anonymous reads are AppErrors', async () => {
            const anonymous = clientAt(route.urls[0]);
            await rejectsWithAppError(anonymous.login(alice.username, 'not-the-password'), 401, 'api.user.login.invalid_credentials_email_username');
            assert.equal(anonymous.getToken(), '');
            await rejectsWithAppError(anonymous.getMe(), 401, 'api.context.session_expired.app_error');
            await rejectsWithAppError(clientAt(route.urls[0], 'x'.repeat(26)).getMe(), 401, 'api.context.session_expired.app_error');
        });

        it('unknown and malformed ids are AppErrors', async () => {
            await rejectsWithAppError(alice.on(0).getUser('a'.repeat(26)), 404);
            await rejectsWithAppError(alice.on(1).getUser('not-an-id'), 400, 'api.context.invalid_param.app_error');
            await rejectsWithAppError(alice.on(0).getUserByUsername(unique('nobody')), 404);
        });
    });
}

import assert from 'node:assert/strict';
import {describe, it, before} from 'node:test';
import {ClientError, rejectsWithAppError, routes, signUp, unique} from './support.js';

for (const route of routes) {
    describe(`AppErrors and headers through ${route.name}`, () => {
        let alice;
        let channel;

        before(async () => {
            alice = await signUp(route.urls, 'alice', 0);
            const team = await alice.on(1).createTeam({name: unique('errors-'), display_name: 'Errors', type: 'O'});
            channel = await alice.on(0).createChannel({team_id: team.id, name: unique('errors-'), display_name: 'Errors', type: 'O'});
        });

        it('every response is JSON in Mattermost\'s shape with X-Request-Id and X-Version-Id', async () => {
            for (let i = 0; i < route.urls.length; i++) {
                const c = alice.on(i);
                const response = await fetch(`${c.getBaseRoute()}/channels/${'f'.repeat(26)}`, {headers: {Authorization: `Bearer ${c.getToken()}`}});
                assert.equal(response.status, 404);
                // Client4 parses a body only when the type is exactly application/json.
                assert.equal(response.headers.get('content-type'), 'application/json');
                const body = await response.json();
                assert.deepEqual(Object.keys(body).sort(), ['detailed_error', 'id', 'message', 'request_id', 'status_code']);
                assert.equal(body.status_code, 404);
                assert.ok(body.request_id.length > 0);
                assert.equal(response.headers.get('x-request-id'), body.request_id);
                assert.ok(response.headers.get('x-version-id'));

                await c.getMe();
                assert.ok(c.getServerVersion(), 'Client4 records X-Version-Id');
            }
        });

        it('the ClientError carries the AppError\'s id, status, message and detail', async () => {
            const err = await alice.on(1).getChannel('f'.repeat(26)).catch((e) => e);
            assert.ok(err instanceof ClientError);
            assert.equal(err.status_code, 404);
            assert.equal(err.server_error_id, 'app.not_found.app_error');
            assert.match(err.message, /not found/i);
            assert.equal(typeof err.detailed_error, 'string');
            assert.match(err.url, /\/api\/v4\/channels\//);
        });

        it('unknown routes and wrong methods are AppErrors', async () => {
            const c = alice.on(0);
            await rejectsWithAppError(c.doFetch(`${c.getBaseRoute()}/no/such/route`, {method: 'get'}), 404, 'api.context.404.app_error');
            await rejectsWithAppError(c.doFetch(`${c.getBaseRoute()}/system/ping`, {method: 'delete'}), 405);
        });

        it('malformed and mistyped bodies are 400 AppErrors', async () => {
            const c = alice.on(1);
            await rejectsWithAppError(c.doFetch(`${c.getBaseRoute()}/posts`, {method: 'post', body: '{"channel_id": '}), 400, 'api.context.invalid_body_param.app_error');
            await rejectsWithAppError(c.createPost({channel_id: channel.id, message: 42}), 400, 'api.context.invalid_body_param.app_error');
            await rejectsWithAppError(c.getProfilesByIds('not a list'), 400);
            await rejectsWithAppError(c.doFetch(`${c.getBaseRoute()}/posts`, {method: 'post'}), 400);
        });

        it('an oversized body is a 413 AppError', async () => {
            await rejectsWithAppError(alice.on(0).createPost({channel_id: channel.id, message: 'x'.repeat(400_000)}), 413, 'api.context.request_body_too_large.app_error');
        });
    });
}

import assert from 'node:assert/strict';
import {describe, it, before} from 'node:test';
import {clientAt, eventuallyRejectsWithAppError, rejectsWithAppError, routes, signUp, unique} from './support.js';

const FORBIDDEN = 'api.context.permissions.app_error';

for (const route of routes) {
    describe(`private channels through ${route.name}`, () => {
        let owner;
        let member;
        let outsider;
        let stranger;
        let team;
        let secret;
        let post;
        const word = unique('plum');

        before(async () => {
            // The owner is created first: on a fresh database the first user becomes system admin,
            // and the users whose access is refused must be ordinary users.
            owner = await signUp(route.urls, 'owner', 0);
            member = await signUp(route.urls, 'member', 1);
            outsider = await signUp(route.urls, 'outsider', 0);
            stranger = await signUp(route.urls, 'stranger', 1);
            for (const user of [member, outsider, stranger]) {
                assert.doesNotMatch(user.profile.roles, /system_admin/);
            }
            team = await owner.on(0).createTeam({name: unique('priv-'), display_name: 'Private', type: 'O'});
            await owner.on(1).addToTeam(team.id, member.id);
            await owner.on(0).addToTeam(team.id, outsider.id);
            secret = await owner.on(1).createChannel({team_id: team.id, name: unique('secret-'), display_name: 'Secret', type: 'P'});
            await owner.on(0).addToChannel(member.id, secret.id);
            post = await member.on(1).createPost({channel_id: secret.id, message: `the ${word} is ripe`});
        });

        it('members read and post on every node', async () => {
            for (let i = 0; i < route.urls.length; i++) {
                assert.equal((await member.on(i).getChannel(secret.id)).id, secret.id);
                assert.ok((await owner.on(i).getPosts(secret.id)).order.includes(post.id));
            }
        });

        it('a team member outside the channel gets 403 on every read and write', async () => {
            for (let i = 0; i < route.urls.length; i++) {
                const c = outsider.on(i);
                await rejectsWithAppError(c.getChannel(secret.id), 403, FORBIDDEN);
                await rejectsWithAppError(c.getPosts(secret.id), 403, FORBIDDEN);
                await rejectsWithAppError(c.getPostsSince(secret.id, 1), 403, FORBIDDEN);
                await rejectsWithAppError(c.getPostsBefore(secret.id, post.id), 403, FORBIDDEN);
                await rejectsWithAppError(c.getPost(post.id), 403, FORBIDDEN);
                await rejectsWithAppError(c.createPost({channel_id: secret.id, message: 'let me in'}), 403, FORBIDDEN);
                await rejectsWithAppError(c.getChannelMembers(secret.id), 403, FORBIDDEN);
                await rejectsWithAppError(c.addToChannel(outsider.id, secret.id), 403, FORBIDDEN);
                await rejectsWithAppError(c.patchPost({id: post.id, message: 'defaced'}), 403, FORBIDDEN);
                await rejectsWithAppError(c.deletePost(post.id), 403, FORBIDDEN);
            }
            assert.ok(!(await outsider.on(0).getMyChannels(team.id)).some((ch) => ch.id === secret.id));
            const hits = await outsider.on(1).searchPosts(team.id, word, false);
            assert.deepEqual(hits.order, [], 'search does not reveal private posts');
        });

        it('a user outside the team gets 403 too', async () => {
            for (let i = 0; i < route.urls.length; i++) {
                await rejectsWithAppError(stranger.on(i).getChannel(secret.id), 403, FORBIDDEN);
                await rejectsWithAppError(stranger.on(i).getPosts(secret.id), 403, FORBIDDEN);
                await rejectsWithAppError(stranger.on(i).createPost({channel_id: secret.id, message: 'hi'}), 403, FORBIDDEN);
            }
            await rejectsWithAppError(stranger.on(0).searchPosts(team.id, word, false), 403, FORBIDDEN);
            await rejectsWithAppError(stranger.on(1).getTeamMembers(team.id), 403, FORBIDDEN);
        });

        it('access follows membership on every node (posting, checked against a cached membership, within a second)', async () => {
            await owner.on(0).addToChannel(outsider.id, secret.id);
            assert.ok((await outsider.on(1).getPosts(secret.id)).order.includes(post.id));
            const hello = await outsider.on(0).createPost({channel_id: secret.id, message: 'thanks for adding me'});
            assert.equal((await member.on(1).getPost(hello.id)).message, 'thanks for adding me');

            await owner.on(1).removeFromChannel(outsider.id, secret.id);
            for (let i = 0; i < route.urls.length; i++) {
                await rejectsWithAppError(outsider.on(i).getPosts(secret.id), 403, FORBIDDEN);
                await eventuallyRejectsWithAppError(() => outsider.on(i).createPost({channel_id: secret.id, message: 'still here?'}), 403, FORBIDDEN);
            }
        });

        it('anonymous requests get 401', async () => {
            for (const url of route.urls) {
                await rejectsWithAppError(clientAt(url).getChannel(secret.id), 401, 'api.context.session_expired.app_error');
                await rejectsWithAppError(clientAt(url).getPosts(secret.id), 401, 'api.context.session_expired.app_error');
            }
        });
    });
}

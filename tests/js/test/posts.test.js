import assert from 'node:assert/strict';
import {describe, it, before} from 'node:test';
import {ID, rejectsWithAppError, routes, signUp, unique} from './support.js';

for (const route of routes) {
    describe(`posts through ${route.name}`, () => {
        let alice;
        let bob;
        let team;
        let channel;
        const word = unique('kiwi');
        const posts = [];

        before(async () => {
            alice = await signUp(route.urls, 'alice', 0);
            bob = await signUp(route.urls, 'bob', 1);
            team = await alice.on(0).createTeam({name: unique('posts-'), display_name: 'Posts', type: 'O'});
            await alice.on(1).addToTeam(team.id, bob.id);
            channel = await alice.on(0).createChannel({team_id: team.id, name: unique('talk-'), display_name: 'Talk', type: 'O'});
            await alice.on(1).addToChannel(bob.id, channel.id);
        });

        it('createPost returns the post; getPost reads it on the other node', async () => {
            const before = Date.now();
            const post = await alice.on(0).createPost({channel_id: channel.id, message: `hello ${word}`, pending_post_id: `${alice.id}:${before}`});
            posts.push(post);
            assert.match(post.id, ID);
            assert.equal(post.channel_id, channel.id);
            assert.equal(post.user_id, alice.id);
            assert.equal(post.message, `hello ${word}`);
            assert.equal(post.root_id, '');
            assert.equal(post.edit_at, 0);
            assert.equal(post.delete_at, 0);
            assert.equal(post.pending_post_id, `${alice.id}:${before}`);
            assert.ok(Math.abs(post.create_at - before) < 60_000, 'create_at is a millisecond timestamp');

            const read = await bob.on(1).getPost(post.id);
            assert.equal(read.id, post.id);
            assert.equal(read.message, post.message);
            assert.equal(read.create_at, post.create_at);
        });

        it('createPost resent with the same pending_post_id on either node returns the original post', async () => {
            const original = posts[0];
            for (const node of [0, 1]) {
                const again = await alice.on(node).createPost({channel_id: channel.id, message: original.message, pending_post_id: original.pending_post_id});
                assert.equal(again.id, original.id);
                assert.equal(again.create_at, original.create_at);
                assert.equal(again.pending_post_id, original.pending_post_id);
            }
            // Nothing was posted twice: the order check below sees each post once.
        });

        it('posts from both users on alternating nodes keep one order', async () => {
            for (let i = 1; i <= 5; i++) {
                const author = i % 2 ? bob : alice;
                posts.push(await author.on(i).createPost({channel_id: channel.id, message: `message ${i}`}));
            }
            const reply = await alice.on(0).createPost({channel_id: channel.id, message: `reply ${word}`, root_id: posts[0].id});
            assert.equal(reply.root_id, posts[0].id);
            posts.push(reply);

            const list = await bob.on(0).getPosts(channel.id);
            const newestFirst = posts.map((p) => p.id).reverse();
            // Before them all: the system post of bob's addition to the channel.
            const added = list.order.at(-1);
            assert.equal(list.posts[added].type, 'system_add_to_channel');
            assert.equal(list.posts[added].props.addedUserId, bob.id);
            assert.deepEqual(list.order.slice(0, -1), newestFirst);
            for (const p of posts) {
                assert.equal(list.posts[p.id].message, p.message);
            }
            assert.equal(list.next_post_id, '');
            assert.equal(list.prev_post_id, '');
            for (let i = 1; i < posts.length; i++) {
                assert.ok(posts[i].create_at >= posts[i - 1].create_at, 'create_at follows the post order');
            }
        });

        it('getPosts pages with page and per_page', async () => {
            const ids = posts.map((p) => p.id).reverse();
            const first = await alice.on(1).getPosts(channel.id, 0, 2);
            const second = await alice.on(0).getPosts(channel.id, 1, 2);
            assert.deepEqual(first.order, ids.slice(0, 2));
            assert.deepEqual(second.order, ids.slice(2, 4));
            assert.equal(first.next_post_id, '');
            assert.equal(first.prev_post_id, ids[2]);
            assert.equal(second.next_post_id, ids[1]);
            assert.equal(second.prev_post_id, ids[4]);
            const beyond = await alice.on(1).getPosts(channel.id, 10, 2);
            assert.deepEqual(beyond.order, []);
        });

        it('getPostsBefore and getPostsAfter page around a post', async () => {
            const ids = posts.map((p) => p.id).reverse();
            const anchor = ids[3];
            const before = await bob.on(0).getPostsBefore(channel.id, anchor, 0, 2);
            assert.deepEqual(before.order, ids.slice(4, 6));
            const after = await bob.on(1).getPostsAfter(channel.id, anchor, 0, 2);
            assert.deepEqual(after.order, ids.slice(1, 3));
            const allAfter = await bob.on(0).getPostsAfter(channel.id, anchor);
            assert.deepEqual(allAfter.order, ids.slice(0, 3));
        });

        it('patchPost edits on one node; every node reads the edit', async () => {
            const target = posts[2];
            assert.equal(target.user_id, alice.id);
            const patched = await alice.on(1).patchPost({id: target.id, message: `edited ${word}`});
            assert.equal(patched.id, target.id);
            assert.equal(patched.message, `edited ${word}`);
            assert.ok(patched.edit_at > 0, 'an edit sets edit_at');
            assert.ok(patched.update_at >= target.update_at);
            target.message = patched.message;

            for (let i = 0; i < route.urls.length; i++) {
                assert.equal((await bob.on(i).getPost(target.id)).message, `edited ${word}`);
            }
            // Only the author may edit.
            await rejectsWithAppError(bob.on(0).patchPost({id: target.id, message: 'not mine'}), 403, 'api.context.permissions.app_error');
        });

        it('getPostsSince returns edits, new posts and deletions after a time', async () => {
            const since = Math.max(...posts.map((p) => p.update_at));
            await new Promise((resolve) => setTimeout(resolve, 5));
            const fresh = await bob.on(0).createPost({channel_id: channel.id, message: 'after since'});
            assert.equal(posts[3].user_id, bob.id);
            const edited = await bob.on(1).patchPost({id: posts[3].id, message: 'edited after since'});
            const deleted = await alice.on(0).deletePost(posts[0].id);
            assert.equal(deleted.status, 'OK');

            const list = await alice.on(1).getPostsSince(channel.id, since);
            assert.ok(list.order.includes(fresh.id));
            assert.equal(list.posts[edited.id].message, 'edited after since');
            assert.ok(list.posts[posts[0].id].delete_at > 0, 'a deletion shows up with delete_at set');
            assert.ok(!list.order.includes(posts[4].id), 'untouched posts are not repeated');
            posts.push(fresh);
        });

        it('deletePost removes the post from reads on every node', async () => {
            const gone = posts[0].id;
            for (let i = 0; i < route.urls.length; i++) {
                await rejectsWithAppError(bob.on(i).getPost(gone), 404);
            }
            const list = await bob.on(1).getPosts(channel.id);
            assert.ok(!list.order.includes(gone));
            assert.equal(list.posts[gone], undefined);
            await rejectsWithAppError(alice.on(0).deletePost(gone), 404);
            await rejectsWithAppError(alice.on(1).patchPost({id: gone, message: 'too late'}), 404);
            await rejectsWithAppError(bob.on(0).deletePost(posts[2].id), 403);
        });

        it('searchPosts finds posts by term in the team', async () => {
            const hits = await bob.on(0).searchPosts(team.id, word, false);
            const found = hits.order.map((id) => hits.posts[id].message).sort();
            assert.deepEqual(found, [`edited ${word}`, `reply ${word}`], 'the deleted post is not found; the edit is');
            const none = await bob.on(1).searchPosts(team.id, `${word} ${unique('absent')}`, false);
            assert.deepEqual(none.order, []);
            const any = await bob.on(1).searchPosts(team.id, `${word} ${unique('absent')}`, true);
            assert.equal(any.order.length, 2);
        });

        it('bad posts are AppErrors', async () => {
            await rejectsWithAppError(alice.on(0).createPost({channel_id: channel.id, message: ''}), 400, 'model.post.is_valid.msg.app_error');
            await rejectsWithAppError(alice.on(1).createPost({channel_id: channel.id, message: 'x'.repeat(16384)}), 400, 'model.post.is_valid.msg.app_error');
            await rejectsWithAppError(alice.on(0).createPost({channel_id: 'd'.repeat(26), message: 'nowhere'}), 404);
            await rejectsWithAppError(alice.on(1).createPost({channel_id: 'bogus', message: 'nowhere'}), 400, 'api.context.invalid_param.app_error');
            await rejectsWithAppError(alice.on(0).getPost('e'.repeat(26)), 404);
            await rejectsWithAppError(alice.on(1).getPosts(channel.id, 0, 100000), 400, 'api.context.invalid_param.app_error');
        });
    });
}

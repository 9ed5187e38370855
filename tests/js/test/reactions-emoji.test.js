// Reactions and custom emoji as the web app drives them: mattermost-redux's addReaction/removeReaction and its custom
// emoji actions over Client4, unchanged, writes and reads alternating between the api nodes. With CHAT_REALTIME_URLS,
// a second user's socket on the other realtime node receives reaction_added and reaction_removed.
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {createRequire} from 'node:module';
import {describe, it, before, after} from 'node:test';
import {ID, routes} from './support.js';
import {actions, eventually, noSocket, openSocket, realtimeUrls, twoMembersOfAChannel} from './redux-session.js';

const require = createRequire(import.meta.url);
const emojis = require('mattermost-redux/actions/emojis');
const {posts} = actions;

function reactionKey(userId, emojiName) {
    return `${userId}-${emojiName}`;
}

for (const route of routes) {
    describe(`reactions and emoji (mattermost-redux) through ${route.name}`, () => {
        const tag = `e${randomBytes(3).toString('hex')}`;
        let alice;
        let bob;
        let talk;
        const sockets = [];

        before(async () => {
            ({alice, bob, talk} = await twoMembersOfAChannel(route.urls, tag, 'react-', 'Reactions'));
        });

        after(() => {
            for (const s of sockets) {
                s.close();
            }
        });

        it('addReaction stores the server\'s reaction, and another user reads it in the post\'s metadata', async () => {
            const post = await alice.clients[0].createPost({channel_id: talk.id, message: 'react to this'});
            const {data} = await alice.run('addReaction', posts.addReaction(post.id, '+1'), 1);
            const {reaction} = data;
            assert.equal(reaction.user_id, alice.id);
            assert.equal(reaction.post_id, post.id);
            assert.equal(reaction.emoji_name, '+1');
            assert.equal(reaction.channel_id, talk.id);
            assert.equal(typeof reaction.create_at, 'number');
            assert.ok(reaction.create_at > 0);
            assert.deepEqual(alice.state.entities.posts.reactions[post.id][reactionKey(alice.id, '+1')], reaction);

            await bob.run('getPosts', posts.getPosts(talk.id, 0, 30), 0);
            const seen = bob.state.entities.posts.posts[post.id];
            assert.equal(seen.has_reactions, true);
            const stored = bob.state.entities.posts.reactions[post.id];
            assert.deepEqual(Object.keys(stored), [reactionKey(alice.id, '+1')]);
            assert.equal(stored[reactionKey(alice.id, '+1')].create_at, reaction.create_at);

            const listed = await bob.clients[1].getReactionsForPost(post.id);
            assert.deepEqual(listed.map((r) => `${r.user_id}/${r.emoji_name}`), [`${alice.id}/+1`]);
        });

        it('removeReaction takes it out of the store, and the post has no reactions left', async () => {
            const post = await alice.clients[1].createPost({channel_id: talk.id, message: 'and take it back'});
            await alice.run('addReaction', posts.addReaction(post.id, 'tada'), 0);
            await bob.run('addReaction', posts.addReaction(post.id, 'tada'), 1);
            const {data} = await alice.run('removeReaction', posts.removeReaction(post.id, 'tada'), 1);
            assert.deepEqual(data, {removedReaction: true});
            assert.equal(alice.state.entities.posts.reactions[post.id][reactionKey(alice.id, 'tada')], undefined);

            await alice.run('getPosts', posts.getPosts(talk.id, 0, 30), 0);
            assert.deepEqual(Object.keys(alice.state.entities.posts.reactions[post.id]), [reactionKey(bob.id, 'tada')]);
            await bob.run('removeReaction', posts.removeReaction(post.id, 'tada'), 0);
            await bob.run('getPosts', posts.getPosts(talk.id, 0, 30), 1);
            assert.equal(bob.state.entities.posts.posts[post.id].has_reactions, false);
            assert.deepEqual(bob.state.entities.posts.reactions[post.id], {});
        });

        it('an emoji that is neither a system nor a custom one is refused with Mattermost\'s error', async () => {
            const post = await alice.clients[0].createPost({channel_id: talk.id, message: 'no such emoji'});
            const result = await alice.dispatch(posts.addReaction(post.id, `${tag}_no_such_emoji`), 1);
            assert.equal(result.error?.status_code, 404);
            assert.equal(result.error?.server_error_id, 'app.emoji.get_by_name.no_result');
        });

        it('getCustomEmojis, getCustomEmojisByName, search and autocomplete answer as the web app expects', async () => {
            const {data} = await alice.run('getCustomEmojis', emojis.getCustomEmojis(0, 200, 'name'), 1);
            assert.ok(Array.isArray(data));
            for (const emoji of data) {
                assert.match(emoji.id, ID);
                assert.equal(alice.state.entities.emojis.customEmoji[emoji.id]?.name, emoji.name);
            }
            const missing = `${tag}_nobody_made_this`;
            await alice.run('getCustomEmojisByName', emojis.getCustomEmojisByName([missing]), 0);
            assert.ok(alice.state.entities.emojis.nonExistentEmoji.has(missing));
            const searched = await alice.run('searchCustomEmojis', emojis.searchCustomEmojis(missing, {prefix_only: true}), 1);
            assert.deepEqual(searched.data, []);
            const completed = await alice.run('autocompleteCustomEmojis', emojis.autocompleteCustomEmojis(missing), 0);
            assert.deepEqual(completed.data, []);
        });

        it('a second user\'s socket on the other realtime node receives reaction_added and reaction_removed', {skip: noSocket}, async () => {
            const socket = await openSocket(realtimeUrls[realtimeUrls.length - 1], bob);
            sockets.push(socket);
            const post = await alice.clients[0].createPost({channel_id: talk.id, message: 'watched'});
            await alice.run('addReaction', posts.addReaction(post.id, 'eyes'), 1);
            const added = await eventually(() => socket.events.find((m) => m.event === 'reaction_added' && JSON.parse(m.data.reaction).post_id === post.id), 'reaction_added');
            assert.equal(added.broadcast.channel_id, talk.id);
            const reaction = JSON.parse(added.data.reaction);
            assert.equal(reaction.user_id, alice.id);
            assert.equal(reaction.emoji_name, 'eyes');

            await alice.run('removeReaction', posts.removeReaction(post.id, 'eyes'), 0);
            const removed = await eventually(() => socket.events.find((m) => m.event === 'reaction_removed' && JSON.parse(m.data.reaction).post_id === post.id), 'reaction_removed');
            assert.equal(JSON.parse(removed.data.reaction).emoji_name, 'eyes');
            assert.equal(JSON.parse(removed.data.reaction).user_id, alice.id);
        });
    });
}

// Pins, saved posts, edits and statistics as the web app drives them: mattermost-redux's actions (editPost,
// pinPost/unpinPost, getPinnedPosts, flagPost/unflagPost, getFlaggedPosts, savePreferences, getPostsByIds,
// getPostEditHistory, getTeamStats, getChannelStats, getChannelMemberCountsByGroup) over Client4, unchanged. Each
// flow requires that the action returned no {error}, that none of its requests was refused, and that the store
// holds what the server returned; writes and reads alternate between the api nodes. Actions made with
// bindClientFunc bind Client4's method when they are created, so those are created inside the dispatch.
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {createRequire} from 'node:module';
import {describe, it, before, after} from 'node:test';
import {routes, unique} from './support.js';
import {actions, eventually, noSocket, openSocket, realtimeUrls, twoMembersOfAChannel} from './redux-session.js';

// Loading channel members (getPinnedPosts and getFlaggedPosts fetch the members of the posts' channels) queues
// profile requests on a DelayedDataLoader, which sets its timers through the browser's window; the WebSocketClient
// listens there for online/offline. A window with just those, as the web app has it in a browser.
if (!globalThis.window) {
    globalThis.window = Object.assign(new EventTarget(), {setTimeout, clearTimeout, setInterval, clearInterval});
}

const require = createRequire(import.meta.url);
const search = require('mattermost-redux/actions/search');
const preferences = require('mattermost-redux/actions/preferences');
const {teams, channels, posts} = actions;

for (const route of routes) {
    describe(`pins, saved posts and stats (mattermost-redux) through ${route.name}`, () => {
        const tag = `p${randomBytes(3).toString('hex')}`;
        let alice;
        let bob;
        let team;
        let talk; // public: alice and bob
        const sockets = [];

        before(async () => {
            ({alice, bob, team, talk} = await twoMembersOfAChannel(route.urls, tag, 'pins-', 'Pins'));
        });

        after(() => {
            for (const s of sockets) {
                s.close();
            }
        });

        async function newPost(session, message, i = 0) {
            const created = await session.clients[i % session.clients.length].createPost({channel_id: talk.id, message});
            await session.run('getPostsByIds', posts.getPostsByIds([created.id]), i + 1);
            return created;
        }

        it('editPost changes the message in the store and keeps the old version in the edit history', async () => {
            const post = await newPost(alice, `first words (${tag})`);
            await alice.run('editPost', (dispatch) => dispatch(posts.editPost({id: post.id, message: `second words (${tag})`})), 1);
            const stored = alice.state.entities.posts.posts[post.id];
            assert.equal(stored.message, `second words (${tag})`);
            assert.ok(stored.edit_at > 0, 'edit_at is set');

            await alice.run('getPostEditHistory', (dispatch) => dispatch(posts.getPostEditHistory(post.id)), 0);
            const history = alice.state.entities.posts.postEditHistory;
            assert.deepEqual(history.map((p) => p.message), [`first words (${tag})`]);
            assert.equal(history[0].original_id, post.id);
            assert.ok(history[0].delete_at > 0);
            // Only the author reads the history.
            const {error} = await bob.dispatch((dispatch) => dispatch(posts.getPostEditHistory(post.id)), 0);
            await bob.settled();
            assert.equal(error?.status_code, 403);
        });

        it('pinPost and unpinPost change is_pinned and the channel\'s pinned count; getPinnedPosts lists them', async () => {
            const first = await newPost(alice, `pin me first (${tag})`, 0);
            const second = await newPost(bob, `pin me second (${tag})`, 1);
            await bob.run('getPostsByIds', posts.getPostsByIds([first.id, second.id]), 0);
            await bob.run('getChannelStats', channels.getChannelStats(talk.id, true), 1);
            const before = bob.state.entities.channels.stats[talk.id];
            assert.equal(before.channel_id, talk.id);
            assert.equal(before.member_count, 2);
            assert.equal(before.files_count, 0);

            await bob.run('pinPost', posts.pinPost(first.id), 0);
            await bob.run('pinPost', posts.pinPost(second.id), 1);
            assert.equal(bob.state.entities.posts.posts[first.id].is_pinned, true);
            assert.equal(bob.state.entities.channels.stats[talk.id].pinnedpost_count, before.pinnedpost_count + 2);

            await bob.run('getPinnedPosts', search.getPinnedPosts(talk.id), 0);
            // The store keeps them newest first (it reverses the server's oldest-first order).
            assert.deepEqual(bob.state.entities.search.pinned[talk.id].slice(0, 2), [second.id, first.id]);

            await bob.run('unpinPost', posts.unpinPost(first.id), 1);
            assert.equal(bob.state.entities.posts.posts[first.id].is_pinned, false);
            await bob.run('getChannelStats', channels.getChannelStats(talk.id, false), 0);
            const after = bob.state.entities.channels.stats[talk.id];
            assert.equal(after.pinnedpost_count, before.pinnedpost_count + 1, 'the server counts what the store counted');
            assert.equal(after.files_count, -1, 'exclude_files_count=true');
            await bob.run('getPinnedPosts', search.getPinnedPosts(talk.id), 1);
            assert.ok(!bob.state.entities.search.pinned[talk.id].includes(first.id));
        });

        it('flagPost saves a flagged_post preference; getFlaggedPosts lists saved posts newest first; unflagPost removes it', async () => {
            const older = await newPost(alice, `save me (${tag})`, 0);
            const newer = await newPost(alice, `save me too (${tag})`, 1);
            await bob.run('getPostsByIds', posts.getPostsByIds([older.id, newer.id]), 0);
            await bob.run('flagPost', posts.flagPost(older.id), 0);
            await bob.run('flagPost', posts.flagPost(newer.id), 1);
            assert.equal(bob.state.entities.preferences.myPreferences[`flagged_post--${older.id}`]?.value, 'true');

            await bob.run('getFlaggedPosts', search.getFlaggedPosts(), 0);
            assert.deepEqual(bob.state.entities.search.flagged, [newer.id, older.id]);

            await bob.run('unflagPost', posts.unflagPost(older.id), 1);
            assert.equal(bob.state.entities.preferences.myPreferences[`flagged_post--${older.id}`], undefined);
            await bob.run('getFlaggedPosts', search.getFlaggedPosts(), 0);
            assert.deepEqual(bob.state.entities.search.flagged, [newer.id]);
            // The server agrees with the store: the preference is gone there too.
            const saved = await bob.clients[1].getMyPreferences();
            assert.ok(!saved.some((p) => p.category === 'flagged_post' && p.name === older.id));
        });

        it('savePreferences stores any category, and the server keeps it', async () => {
            const name = unique('pref');
            await alice.run('savePreferences', preferences.savePreferences(alice.id, [{user_id: alice.id, category: 'display_settings', name, value: 'compact'}]), 1);
            assert.equal(alice.state.entities.preferences.myPreferences[`display_settings--${name}`]?.value, 'compact');
            const saved = await alice.clients[0].getMyPreferences();
            assert.ok(saved.some((p) => p.category === 'display_settings' && p.name === name && p.value === 'compact'));
        });

        it('getTeamStats and getChannelMemberCountsByGroup fill the store', async () => {
            await alice.run('getTeamStats', (dispatch) => dispatch(teams.getTeamStats(team.id)), 0);
            const stats = alice.state.entities.teams.stats[team.id];
            assert.deepEqual(stats, {team_id: team.id, total_member_count: 2, active_member_count: 2});

            await alice.run('getChannelMemberCountsByGroup', channels.getChannelMemberCountsByGroup(talk.id), 1);
            assert.deepEqual(alice.state.entities.channels.channelMemberCountsByGroup[talk.id], {});
        });

        it('a pin is seen by the other member\'s socket on a realtime node as post_edited', {skip: noSocket}, async () => {
            const post = await newPost(alice, `pinned live (${tag})`, 0);
            const socket = await openSocket(realtimeUrls[realtimeUrls.length - 1], bob);
            sockets.push(socket);
            await alice.run('pinPost', posts.pinPost(post.id), 1);
            const edited = await eventually(() => socket.events.find((m) => m.event === 'post_edited' && JSON.parse(m.data.post).id === post.id), 'post_edited for the pin');
            assert.equal(JSON.parse(edited.data.post).is_pinned, true);
            assert.equal(edited.broadcast.channel_id, talk.id);
        });
    });
}

// Threads as the web app loads them, through mattermost-redux's own actions: a thread's posts (getPostThread), the
// followed threads of the current team (getThreadsForCurrentTeam, getThreadCounts, getThread) and reading and
// following them (updateThreadRead, setThreadFollow, markAllThreadsInTeamRead). Each action must complete without an
// error, every request it made must succeed, and the store must hold what the server answered.
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import {randomBytes} from 'node:crypto';
import {describe, it, before, after} from 'node:test';
import {routes} from './support.js';
import {actions, eventually, noSocket, openSocket, realtimeUrls, twoMembersOfAChannel} from './redux-session.js';

const require = createRequire(import.meta.url);
const threads = require('mattermost-redux/actions/threads');
const {teams, posts} = actions;

const REPLIES = 6;

for (const route of routes) {
    describe(`threads (mattermost-redux) through ${route.name}`, () => {
        const tag = `t${randomBytes(3).toString('hex')}`;
        let alice;
        let bob;
        let team;
        let talk;
        let root;
        const replies = [];
        const sockets = [];

        before(async () => {
            ({alice, bob, team, talk} = await twoMembersOfAChannel(route.urls, tag, 'threads-', 'Threads'));
            const setup = alice.clients[0];
            for (const s of [alice, bob]) {
                s.store.dispatch(teams.selectTeam(team.id));
            }
            root = await setup.createPost({channel_id: talk.id, message: 'a thread to follow'});
            // bob replies through every node in turn; every other reply mentions alice.
            for (let i = 0; i < REPLIES; i++) {
                const message = i % 2 === 0 ? `@${alice.username} reply ${i}` : `reply ${i}`;
                replies.push(await bob.clients[i % bob.clients.length].createPost({channel_id: talk.id, root_id: root.id, message}));
            }
        });

        after(() => {
            for (const s of sockets) {
                s.close();
            }
        });

        it('getPostThread loads the root and every reply into the store, with the thread\'s reply count', async () => {
            // alice reads it: the replies mention only her, whom her store knows, so no profile look-up by name follows.
            const result = await alice.run('getPostThread', posts.getPostThread(root.id), 1);
            assert.equal(result.data.order[0], root.id);
            assert.equal(result.data.order.length, REPLIES + 1);
            const {entities} = alice.state;
            assert.deepEqual([...entities.posts.postsInThread[root.id]].sort(), replies.map((r) => r.id).sort());
            for (const post of [root, ...replies]) {
                assert.equal(entities.posts.posts[post.id].reply_count, REPLIES, `reply_count of ${post.id}`);
            }
        });

        it('getThreadsForCurrentTeam and getThreadCounts: the root\'s author follows the thread, every reply unread', async () => {
            const result = await alice.run('getThreadsForCurrentTeam', threads.getThreadsForCurrentTeam(), 0);
            assert.equal(result.data.threads.length, 1);
            const {entities} = alice.state;
            const thread = entities.threads.threads[root.id];
            assert.ok(thread, 'the thread is in the store');
            assert.equal(thread.reply_count, REPLIES);
            assert.equal(thread.unread_replies, REPLIES);
            assert.equal(thread.unread_mentions, REPLIES / 2);
            assert.equal(thread.last_reply_at, replies.at(-1).create_at);
            assert.deepEqual(thread.participants.map((p) => p.id), [bob.id]);
            assert.ok(entities.threads.threadsInTeam[team.id].includes(root.id));
            assert.equal(entities.users.profiles[bob.id]?.username, bob.username, 'the participant\'s profile');

            const counts = await alice.run('getThreadCounts', threads.getThreadCounts(alice.id, team.id), 1);
            assert.deepEqual(
                {total: counts.data.total, unread: counts.data.total_unread_threads, mentions: counts.data.total_unread_mentions},
                {total: 1, unread: 1, mentions: REPLIES / 2});
            assert.equal(alice.state.entities.threads.countsIncludingDirect[team.id].total_unread_threads, 1);
        });

        it('updateThreadRead then getThread: nothing left unread', async () => {
            await alice.run('updateThreadRead', threads.updateThreadRead(alice.id, team.id, root.id, replies.at(-1).create_at), 0);
            const result = await alice.run('getThread', threads.getThread(alice.id, team.id, root.id), 1);
            assert.equal(result.data.unread_replies, 0);
            assert.equal(result.data.unread_mentions, 0);
            assert.equal(alice.state.entities.threads.threads[root.id].unread_replies, 0);
            const counts = await alice.run('getThreadCounts', threads.getThreadCounts(alice.id, team.id), 0);
            assert.equal(counts.data.total_unread_threads, 0);
        });

        it('setThreadFollow(false) drops the thread from the list; setThreadFollow(true) brings it back', async () => {
            await alice.run('setThreadFollow(false)', threads.setThreadFollow(alice.id, team.id, root.id, false), 1);
            assert.equal(alice.state.entities.threads.threads[root.id].is_following, false);
            const none = await alice.run('getThreadCounts', threads.getThreadCounts(alice.id, team.id), 0);
            assert.equal(none.data.total, 0);
            await alice.run('setThreadFollow(true)', threads.setThreadFollow(alice.id, team.id, root.id, true), 0);
            assert.equal(alice.state.entities.threads.threads[root.id].is_following, true);
            const back = await alice.run('getThreadCounts', threads.getThreadCounts(alice.id, team.id), 1);
            assert.equal(back.data.total, 1);
        });

        it('markAllThreadsInTeamRead clears the unread threads and mentions of a mentioned follower', async () => {
            await bob.clients[0].createPost({channel_id: talk.id, root_id: root.id, message: `@${alice.username} once more`});
            const before = await alice.run('getThreadCounts', threads.getThreadCounts(alice.id, team.id), 0);
            assert.deepEqual([before.data.total_unread_threads, before.data.total_unread_mentions], [1, 1]);
            await alice.run('markAllThreadsInTeamRead', threads.markAllThreadsInTeamRead(alice.id, team.id), 1);
            const after = await alice.run('getThreadCounts', threads.getThreadCounts(alice.id, team.id), 0);
            assert.deepEqual([after.data.total_unread_threads, after.data.total_unread_mentions], [0, 0]);
        });

        it('a reply sends thread_updated, and reading sends thread_read_changed, to the follower on the other realtime node', {skip: noSocket}, async () => {
            const socket = await openSocket(realtimeUrls.at(-1), alice);
            sockets.push(socket);
            const reply = await bob.clients[0].createPost({channel_id: talk.id, root_id: root.id, message: 'seen live'});
            const updated = await eventually(() => socket.events.find((m) => m.event === 'thread_updated' && JSON.parse(m.data.thread).id === root.id), 'thread_updated');
            const thread = JSON.parse(updated.data.thread);
            assert.equal(thread.reply_count, REPLIES + 2);
            assert.equal(thread.unread_replies, 1);
            assert.equal(updated.broadcast.team_id, team.id);
            await alice.run('updateThreadRead', threads.updateThreadRead(alice.id, team.id, root.id, reply.create_at), 0);
            const read = await eventually(() => socket.events.find((m) => m.event === 'thread_read_changed' && m.data.thread_id === root.id), 'thread_read_changed');
            assert.equal(read.data.unread_replies, 0);
            assert.equal(read.data.previous_unread_replies, 1);
        });
    });
}

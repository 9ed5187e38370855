// The Mattermost web app's first session, driven by the web app's own data layer: mattermost-redux's store and
// actions over Client4, unchanged. Every flow requires that the action returned no {error}, that none of the
// requests it made (in the background too) was refused, and that the store holds what the server returned.
import assert from 'node:assert/strict';
import {createHash, randomBytes} from 'node:crypto';
import {describe, it, before, after} from 'node:test';
import {ID, routes, unique} from './support.js';
import {actions, eventually, noSocket, openSocket, realtimeUrls, signUpSession} from './redux-session.js';

const {users, teams, channels, roles, posts} = actions;

const COUNTS = ['msg_count', 'mention_count', 'msg_count_root', 'mention_count_root', 'urgent_mention_count', 'last_viewed_at', 'last_update_at'];
const DEFAULT_NOTIFY_PROPS = {desktop: 'default', email: 'default', push: 'default', mark_unread: 'all', ignore_channel_mentions: 'default', channel_auto_follow_threads: 'off'};

/** What loadMe() must ask the server for; the roles request follows from the answers. */
const BOOT_REQUESTS = [
    'GET /api/v4/config/client', 'GET /api/v4/license/client', 'GET /api/v4/users/me', 'GET /api/v4/users/me/preferences',
    'GET /api/v4/users/me/teams', 'GET /api/v4/users/me/teams/members', 'GET /api/v4/users/me/teams/unread',
    'GET /api/v4/limits/server', 'POST /api/v4/roles/names',
];

/** A channel as mattermost-redux stores it: its reducer keeps the message totals apart, in channels.messageCounts. */
function asStored(channel) {
    const {total_msg_count: _total, total_msg_count_root: _root, ...rest} = channel;
    return rest;
}

function member(session, channelId) {
    return session.state.entities.channels.myMembers[channelId];
}

function assertMemberShape(m, what) {
    assert.ok(m, `${what}: no channel member in the store`);
    for (const field of COUNTS) {
        assert.equal(typeof m[field], 'number', `${what}: ${field} must be a number, got ${JSON.stringify(m[field])}`);
    }
    assert.equal(typeof m.roles, 'string', `${what}: roles`);
    assert.equal(typeof m.scheme_user, 'boolean', `${what}: scheme_user`);
    assert.equal(typeof m.scheme_admin, 'boolean', `${what}: scheme_admin`);
    assert.equal(typeof m.notify_props, 'object', `${what}: notify_props`);
}

for (const route of routes) {
    describe(`the web app's first session (mattermost-redux) through ${route.name}`, () => {
        // Every username starts with the tag, so autocomplete can find exactly this run's users.
        const tag = `r${randomBytes(3).toString('hex')}`;
        let alice;
        let bob;
        let carol;
        let team;
        let talk; // public: alice and bob
        let lobby; // public: alice only
        let pair; // public: alice and bob, left alone for the profile and autocomplete flows
        const sockets = [];

        before(async () => {
            alice = await signUpSession(route.urls, `${tag}alice`, 0);
            bob = await signUpSession(route.urls, `${tag}bob`, 1);
            carol = await signUpSession(route.urls, `${tag}carol`, 0);
            const setup = alice.clients[0];
            team = await setup.createTeam({name: unique('redux-'), display_name: 'Redux', type: 'O', allow_open_invite: true});
            await setup.addToTeam(team.id, bob.id);
            await setup.addToTeam(team.id, carol.id);
            talk = await setup.createChannel({team_id: team.id, name: unique('talk-'), display_name: 'Talk', type: 'O'});
            lobby = await setup.createChannel({team_id: team.id, name: unique('lobby-'), display_name: 'Lobby', type: 'O'});
            pair = await setup.createChannel({team_id: team.id, name: unique('pair-'), display_name: 'Pair', type: 'O'});
            await setup.addToChannel(bob.id, talk.id);
            await setup.addToChannel(bob.id, pair.id);
            // The boot as the web app runs it; its own test below checks it request by request.
            for (const [i, s] of [alice, bob, carol].entries()) {
                await s.dispatch(users.loadMe(), i);
                await s.settled();
            }
        });

        after(() => {
            for (const s of sockets) {
                s.close();
            }
        });

        it('boot: loadMe() loads me, my teams, team members and unreads, preferences, the license, limits and my roles', async () => {
            for (const [i, session] of [alice, bob].entries()) {
                const tab = session.anotherTab();
                const first = tab.requests.length;
                const result = await tab.run('loadMe()', users.loadMe(), i);
                assert.equal(result.data, true);
                const made = tab.madeSince(first);
                for (const request of BOOT_REQUESTS) {
                    assert.ok(made.includes(request), `loadMe() must request ${request}; made:\n    ${made.join('\n    ')}`);
                }

                const {general, users: u, teams: t, roles: r, preferences, limits} = tab.state.entities;
                assert.equal(u.currentUserId, session.id);
                assert.equal(u.profiles[session.id].username, session.username);
                assert.equal(typeof general.config, 'object');
                assert.equal(general.license.IsLicensed, 'false', 'an unlicensed server says IsLicensed "false"');
                assert.equal(t.teams[team.id]?.name, team.name, 'getMyTeams: the team is in the store');
                const teamMember = t.myMembers[team.id];
                assert.ok(teamMember, 'getMyTeamMembers: my team member is in the store');
                assert.equal(teamMember.user_id, session.id);
                assert.equal(teamMember.team_id, team.id);
                assert.match(teamMember.roles, /\bteam_user\b/);
                assert.equal(teamMember.delete_at, 0);
                for (const field of ['msg_count', 'mention_count', 'msg_count_root', 'mention_count_root']) {
                    assert.equal(typeof teamMember[field], 'number', `getMyTeamUnreads: the team's ${field}`);
                }
                assert.equal(typeof preferences.myPreferences, 'object');
                assert.equal(typeof limits.serverLimits.maxUsersLimit, 'number');
                for (const role of ['system_user', 'team_user']) {
                    assert.ok(r.roles[role]?.permissions?.length > 0, `the ${role} role was loaded with its permissions`);
                }
                assert.ok(r.roles.system_user.permissions.includes('create_direct_channel'));
                assert.deepEqual([...r.pending], [], 'no role is left pending');
            }
        });

        it('sidebar: fetchChannelsAndMembers lists my channels (town-square and off-topic too) with my members\' read state', async () => {
            const result = await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 1);
            const {channels: listed, channelMembers} = result.data;
            const names = listed.map((c) => c.name);
            for (const name of ['town-square', 'off-topic', talk.name, pair.name]) {
                assert.ok(names.includes(name), `my channels include ${name}: ${names.join(', ')}`);
            }
            assert.ok(!names.includes(lobby.name), 'a channel I am not in is not listed');

            const state = bob.state.entities.channels;
            for (const c of listed) {
                assert.deepEqual({...state.channels[c.id]}, asStored(c), `the store holds channel ${c.name} as the server sent it`);
                if (c.team_id) {
                    assert.ok(state.channelsInTeam[team.id]?.has(c.id), `${c.name} is in the team's channel set`);
                }
                assert.equal(state.messageCounts[c.id]?.total, c.total_msg_count, `${c.name}: message count from total_msg_count`);
            }
            assert.equal(channelMembers.length, listed.length, 'one member per channel');
            for (const m of channelMembers) {
                assert.equal(m.user_id, bob.id);
                assertMemberShape(m, `member of ${m.channel_id}`);
                assert.deepEqual(member(bob, m.channel_id), m, 'the store holds my member as the server sent it');
            }
            const talkMember = channelMembers.find((m) => m.channel_id === talk.id);
            assert.deepEqual(talkMember.notify_props, DEFAULT_NOTIFY_PROPS, 'a new member has Mattermost\'s default notify_props');
            assert.equal(talkMember.roles, 'channel_user');
            assert.equal(talkMember.scheme_user, true);
            assert.equal(talkMember.scheme_admin, false);
            assert.ok(bob.state.entities.roles.roles.channel_user, 'the channel roles were loaded');

            const creator = await alice.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 0);
            const aliceTalk = creator.data.channelMembers.find((m) => m.channel_id === talk.id);
            assert.equal(aliceTalk.roles, 'channel_user channel_admin', 'the creator administers the channel');
            assert.equal(aliceTalk.scheme_admin, true);
            assert.ok(alice.state.entities.roles.roles.channel_admin, 'channel_admin was loaded');
        });

        it('getProfilesInChannel lists the channel\'s members into the store', async () => {
            const result = await bob.run('getProfilesInChannel', users.getProfilesInChannel(pair.id, 0), 0);
            assert.deepEqual(result.data.map((u) => u.id).sort(), [alice.id, bob.id].sort(), 'GET /users?in_channel= lists the channel\'s members and only them');
            const {profiles, profilesInChannel} = bob.state.entities.users;
            assert.deepEqual([...profilesInChannel[pair.id]].sort(), [alice.id, bob.id].sort());
            assert.equal(profiles[alice.id].username, alice.username);
            for (const u of result.data) {
                assert.equal(u.password, undefined, 'no password hash leaves the server');
            }
        });

        it('autocompleteUsers finds users in and out of the channel, and in the team', async () => {
            const inChannel = await alice.run('autocompleteUsers (channel)', users.autocompleteUsers(tag, team.id, pair.id), 1);
            assert.deepEqual(inChannel.data.users.map((u) => u.id).sort(), [alice.id, bob.id].sort());
            assert.deepEqual(inChannel.data.out_of_channel.map((u) => u.id), [carol.id]);
            const {profilesInChannel, profilesNotInChannel, profiles} = alice.state.entities.users;
            assert.ok(profilesInChannel[pair.id].has(bob.id));
            assert.ok(profilesNotInChannel[pair.id].has(carol.id));
            assert.equal(profiles[carol.id].username, carol.username);

            const inTeam = await alice.run('autocompleteUsers (team)', users.autocompleteUsers(tag, team.id), 0);
            assert.deepEqual(inTeam.data.users.map((u) => u.id).sort(), [alice.id, bob.id, carol.id].sort());
            assert.ok(alice.state.entities.users.profilesInTeam[team.id].has(carol.id));

            const none = await alice.run('autocompleteUsers (no match)', users.autocompleteUsers(`${tag}zzz`, team.id, pair.id), 1);
            assert.deepEqual(none.data.users, []);
        });

        it('browsing: getTeams lists joinable teams; getChannels lists public channels; joinChannel by id and by name; leaveChannel', async () => {
            const other = await alice.clients[0].createTeam({name: unique('open-'), display_name: 'Open', type: 'O', allow_open_invite: true});
            const joinable = await carol.run('getTeams', teams.getTeams(0, 50), 1);
            assert.ok(joinable.data.some((t) => t.id === other.id), 'an open team I am not in is listed');
            assert.equal(carol.state.entities.teams.teams[other.id]?.name, other.name);

            const listed = await carol.run('getChannels', channels.getChannels(team.id, 0), 0);
            const names = listed.data.map((c) => c.name);
            for (const name of ['town-square', 'off-topic', talk.name, lobby.name, pair.name]) {
                assert.ok(names.includes(name), `getChannels lists ${name}: ${names.join(', ')}`);
            }
            assert.ok(listed.data.every((c) => c.type === 'O' && c.team_id === team.id));
            assert.deepEqual({...carol.state.entities.channels.channels[lobby.id]}, asStored(listed.data.find((c) => c.id === lobby.id)));

            const byId = await carol.run('joinChannel (id)', channels.joinChannel(carol.id, team.id, lobby.id), 1);
            assert.equal(byId.data.channel.id, lobby.id);
            assert.equal(byId.data.member.user_id, carol.id);
            assert.equal(byId.data.member.channel_id, lobby.id);
            assertMemberShape(member(carol, lobby.id), 'joined by id');

            const byName = await carol.run('joinChannel (name)', channels.joinChannel(carol.id, team.id, '', talk.name), 0);
            assert.equal(byName.data.channel.id, talk.id);
            assert.equal(byName.data.member.user_id, carol.id);
            assert.deepEqual(member(carol, talk.id), byName.data.member);

            await carol.run('leaveChannel', channels.leaveChannel(lobby.id), 1);
            assert.equal(member(carol, lobby.id), undefined, 'the member is gone from the store (and was not put back after a refusal)');
            const after = await carol.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 0);
            assert.ok(!after.data.channels.some((c) => c.id === lobby.id), 'the server no longer lists the channel I left');
            assert.ok(after.data.channels.some((c) => c.id === talk.id));
        });

        it('roles: loadRolesIfNeeded loads Mattermost\'s default roles with their permissions', async () => {
            const tab = carol.anotherTab();
            const names = ['system_user', 'system_admin', 'system_guest', 'team_user', 'team_admin', 'team_guest',
                'channel_user', 'channel_admin', 'channel_guest', 'system_user_access_token', 'system_post_all',
                'system_post_all_public', 'team_post_all', 'team_post_all_public'];
            const result = await tab.run('loadRolesIfNeeded', roles.loadRolesIfNeeded(names), 1);
            assert.equal(result.data.length, names.length, 'one role per name');
            const loaded = tab.state.entities.roles.roles;
            for (const name of names) {
                const role = loaded[name];
                assert.ok(role, `role ${name} is in the store`);
                assert.match(role.id, ID);
                assert.equal(role.name, name);
                assert.ok(Array.isArray(role.permissions));
                assert.equal(role.built_in, true);
                assert.equal(typeof role.scheme_managed, 'boolean');
                assert.equal(role.delete_at, 0);
            }
            const expect = {
                system_user: ['list_public_teams', 'join_public_teams', 'create_direct_channel', 'create_group_channel', 'view_members', 'create_team'],
                system_guest: ['create_direct_channel', 'create_group_channel'],
                team_user: ['list_team_channels', 'join_public_channels', 'read_public_channel', 'view_team', 'create_public_channel', 'create_private_channel', 'invite_user', 'add_user_to_team'],
                team_admin: ['remove_user_from_team', 'manage_team', 'manage_team_roles', 'manage_channel_roles', 'delete_others_posts'],
                channel_user: ['read_channel', 'read_channel_content', 'add_reaction', 'create_post', 'use_channel_mentions', 'manage_public_channel_members', 'manage_private_channel_members', 'delete_post', 'edit_post'],
                channel_admin: ['manage_channel_roles', 'use_group_mentions'],
                channel_guest: ['read_channel', 'create_post'],
                system_user_access_token: ['create_user_access_token', 'read_user_access_token', 'revoke_user_access_token'],
                system_post_all: ['create_post', 'use_channel_mentions'],
                system_post_all_public: ['create_post_public', 'use_channel_mentions'],
            };
            for (const [name, permissions] of Object.entries(expect)) {
                for (const p of permissions) {
                    assert.ok(loaded[name].permissions.includes(p), `${name} has ${p}`);
                }
            }
            assert.ok(!loaded.system_user.permissions.includes('manage_system'), 'system_user may not manage the system');
            assert.ok(loaded.system_admin.permissions.includes('manage_system'));
            for (const name of ['system_user', 'team_user', 'channel_user', 'team_admin', 'channel_admin']) {
                for (const p of loaded[name].permissions) {
                    assert.ok(loaded.system_admin.permissions.includes(p), `system_admin has ${name}'s ${p}`);
                }
            }

            const one = await tab.run('getRoleByName', (dispatch) => dispatch(roles.getRoleByName('channel_user')), 0);
            assert.deepEqual(one.data, loaded.channel_user);
            const byId = await tab.run('getRole', (dispatch) => dispatch(roles.getRole(loaded.team_user.id)), 1);
            assert.deepEqual(byId.data, loaded.team_user);
        });

        it('posting and read state: a mention raises bob\'s mention_count by exactly one; markChannelAsRead clears it', async () => {
            const seen = await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 0);
            const before = seen.data.channelMembers.find((m) => m.channel_id === talk.id);
            const total = seen.data.channels.find((c) => c.id === talk.id).total_msg_count;

            const message = `@${bob.username} have a look (${tag})`;
            const postsBefore = new Set(Object.keys(alice.state.entities.posts.posts));
            await alice.run('createPost', posts.createPost({channel_id: talk.id, user_id: alice.id, message}), 1);
            const created = Object.values(alice.state.entities.posts.posts).find((p) => !postsBefore.has(p.id) && p.message === message && ID.test(p.id));
            assert.ok(created, 'the store holds the created post under the id the server gave it');
            assert.equal(created.channel_id, talk.id);
            assert.equal(created.user_id, alice.id);

            const counted = await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 1);
            const after = counted.data.channelMembers.find((m) => m.channel_id === talk.id);
            const channel = counted.data.channels.find((c) => c.id === talk.id);
            assert.equal(channel.total_msg_count, total + 1, 'the channel counts the post');
            assert.equal(after.mention_count, before.mention_count + 1, 'exactly one more mention');
            assert.equal(after.mention_count_root, before.mention_count_root + 1, 'a root post: one more root mention');
            assert.equal(after.urgent_mention_count, before.urgent_mention_count);
            assert.equal(after.msg_count, before.msg_count, 'msg_count counts what bob has read: unchanged');
            assert.equal(member(bob, talk.id).mention_count, after.mention_count, 'the store holds the server\'s count');
            const authorMember = (await alice.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 0))
                .data.channelMembers.find((m) => m.channel_id === talk.id);
            assert.equal(authorMember.mention_count, 0, 'the author is not mentioned by their own post');
            assert.equal(authorMember.msg_count, channel.total_msg_count, 'posting marks the channel read for its author');

            await bob.run('getMyTeamUnreads', teams.getMyTeamUnreads(false), 0);
            const teamUnread = bob.state.entities.teams.myMembers[team.id];
            assert.ok(teamUnread.mention_count >= 1, `the team shows the mention: ${JSON.stringify(teamUnread)}`);
            assert.ok(teamUnread.msg_count >= 1, 'and an unread message');

            // Bob may have mentions in the team's other channels (being added to a channel mentions the added user).
            const teamMentionsBefore = teamUnread.mention_count;
            const talkMentions = (await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 1))
                .data.channelMembers.find((m) => m.channel_id === talk.id).mention_count;
            const viewStart = Date.now();
            await bob.run('markChannelAsRead', channels.markChannelAsRead(talk.id), 1);
            assert.ok(bob.requests.some((r) => r.method === 'POST' && r.path === '/api/v4/channels/members/me/view' && r.status === 200),
                'markChannelAsRead told the server (POST /channels/members/me/view)');
            assert.equal(member(bob, talk.id).mention_count, 0);
            assert.ok(member(bob, talk.id).last_viewed_at >= viewStart);

            const cleared = await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 0);
            const read = cleared.data.channelMembers.find((m) => m.channel_id === talk.id);
            assert.equal(read.mention_count, 0, 'the server cleared the mention');
            assert.equal(read.mention_count_root, 0);
            assert.equal(read.urgent_mention_count, 0);
            assert.equal(read.msg_count, channel.total_msg_count, 'everything is read');
            assert.ok(read.last_viewed_at >= created.create_at, 'last_viewed_at reaches the last post');
            await bob.run('getMyTeamUnreads', teams.getMyTeamUnreads(false), 1);
            assert.equal(bob.state.entities.teams.myMembers[team.id].mention_count, teamMentionsBefore - talkMentions, 'the team lost exactly the channel\'s mentions');

            const again = await bob.run('markChannelAsViewedOnServer', channels.markChannelAsViewedOnServer(talk.id), 0);
            assert.equal(again.data, true);
        });

        it('@channel mentions every member who does not ignore channel mentions', async () => {
            await bob.run('markChannelAsRead', channels.markChannelAsRead(talk.id), 0);
            await alice.run('createPost', posts.createPost({channel_id: talk.id, user_id: alice.id, message: `@channel news (${tag})`}), 0);
            const counted = await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 1);
            assert.equal(counted.data.channelMembers.find((m) => m.channel_id === talk.id).mention_count, 1);
            await bob.run('markChannelAsRead', channels.markChannelAsRead(talk.id), 1);
        });

        it('the posted event names the mentioned user (mentions) and set_online; marking read sends multiple_channels_viewed', {skip: noSocket}, async () => {
            const socket = await openSocket(realtimeUrls[0], bob);
            sockets.push(socket);
            const message = `@${bob.username} over the socket (${tag})`;
            const post = await alice.clients[1 % alice.clients.length].createPost({channel_id: talk.id, message});
            const event = await eventually(() => socket.events.find((m) => m.event === 'posted' && JSON.parse(m.data.post).id === post.id), 'the posted event');
            assert.equal(typeof event.data.mentions, 'string', 'mentions is a JSON-encoded list');
            assert.deepEqual(JSON.parse(event.data.mentions), [bob.id]);
            assert.equal(event.data.set_online, true);
            assert.equal(event.data.channel_type, 'O');
            assert.equal(event.data.channel_name, talk.name);
            assert.equal(event.data.team_id, team.id);

            await bob.run('markChannelAsRead', channels.markChannelAsRead(talk.id), 0);
            const viewed = await eventually(() => socket.events.find((m) => m.event === 'multiple_channels_viewed' && m.data.channel_times?.[talk.id]), 'multiple_channels_viewed');
            assert.equal(viewed.broadcast.user_id, bob.id);
            assert.ok(viewed.data.channel_times[talk.id] >= post.create_at);
        });

        it('statuses: getStatusesByIds, then setStatus dnd and online, seen from the other node', async () => {
            const first = await alice.run('getStatusesByIds', users.getStatusesByIds([alice.id, bob.id]), 0);
            assert.deepEqual(first.data.map((s) => s.user_id).sort(), [alice.id, bob.id].sort());
            const seen = alice.state.entities.users;
            for (const id of [alice.id, bob.id]) {
                assert.ok(['online', 'away', 'offline', 'dnd'].includes(seen.statuses[id]), `a status for ${id}: ${seen.statuses[id]}`);
                assert.equal(typeof seen.isManualStatus[id], 'boolean');
                assert.equal(typeof seen.lastActivity[id], 'number');
            }

            const dnd = await bob.run('setStatus dnd', users.setStatus({user_id: bob.id, status: 'dnd'}), 0);
            assert.equal(dnd.data.user_id, bob.id);
            assert.equal(dnd.data.status, 'dnd');
            assert.equal(dnd.data.manual, true);
            assert.equal(bob.state.entities.users.statuses[bob.id], 'dnd');
            assert.equal(bob.state.entities.users.isManualStatus[bob.id], true);

            await alice.run('getStatusesByIds', users.getStatusesByIds([bob.id]), 1);
            assert.equal(alice.state.entities.users.statuses[bob.id], 'dnd', 'the other node sees dnd');
            assert.equal(alice.state.entities.users.isManualStatus[bob.id], true);
            // Activity does not override a manual status.
            await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 1);
            await alice.run('getStatusesByIds', users.getStatusesByIds([bob.id]), 0);
            assert.equal(alice.state.entities.users.statuses[bob.id], 'dnd');

            const online = await bob.run('setStatus online', users.setStatus({user_id: bob.id, status: 'online'}), 1);
            assert.equal(online.data.status, 'online');
            assert.equal(online.data.manual, false, 'online is never manual');
            assert.ok(online.data.last_activity_at > 0);
            await alice.run('getStatusesByIds', users.getStatusesByIds([bob.id]), 0);
            assert.equal(alice.state.entities.users.statuses[bob.id], 'online');
            assert.equal(alice.state.entities.users.dndEndTimes[bob.id], 0);
        });

        it('direct messages: createDirectChannel, listed with my channels; every DM post is a mention', async () => {
            const result = await alice.run('createDirectChannel', channels.createDirectChannel(alice.id, bob.id), 0);
            const dm = result.data;
            assert.match(dm.id, ID);
            assert.equal(dm.type, 'D');
            assert.equal(dm.name, [alice.id, bob.id].sort().join('__'));
            assert.equal(dm.team_id, '');
            assert.deepEqual({...alice.state.entities.channels.channels[dm.id]}, asStored(dm));
            assert.ok(member(alice, dm.id));
            assert.equal(alice.state.entities.preferences.myPreferences[`direct_channel_show--${bob.id}`]?.value, 'true',
                'the preference saved alongside stayed (PUT /users/{id}/preferences was accepted)');

            await alice.clients[0].createPost({channel_id: dm.id, message: `no mention here (${tag})`});
            const listed = await bob.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 1);
            assert.ok(listed.data.channels.some((c) => c.id === dm.id), 'a DM is listed with every team\'s channels');
            const dmMember = listed.data.channelMembers.find((m) => m.channel_id === dm.id);
            assert.equal(dmMember.mention_count, 1, 'a DM post always mentions the other member');
            assert.equal(bob.state.entities.channels.channels[dm.id].type, 'D');
        });

        it('group messages: createGroupChannel names the channel from its members, lists it and counts it like a DM', async () => {
            const result = await alice.run('createGroupChannel', channels.createGroupChannel([alice.id, bob.id, carol.id]), 1);
            const gm = result.data;
            const ids = [alice.id, bob.id, carol.id].sort();
            assert.match(gm.id, ID);
            assert.equal(gm.type, 'G');
            assert.equal(gm.team_id, '');
            assert.equal(gm.name, createHash('sha1').update(ids.join('')).digest('hex'), 'name: sha1 of the sorted member ids');
            assert.equal(gm.display_name, [alice.username, bob.username, carol.username].sort().join(', '));
            assert.deepEqual({...alice.state.entities.channels.channels[gm.id]}, asStored(gm));
            assert.ok(member(alice, gm.id));

            await alice.clients[0].createPost({channel_id: gm.id, message: `hello group (${tag})`});
            const listed = await carol.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 0);
            assert.ok(listed.data.channels.some((c) => c.id === gm.id), 'a GM is listed with every team\'s channels');
            const gmMember = listed.data.channelMembers.find((m) => m.channel_id === gm.id);
            assert.equal(gmMember.mention_count, 1, 'a GM post mentions the other members');

            // Creating it again finds the same channel; it now has posts, so the client fetches my member.
            const again = await alice.run('createGroupChannel (again)', channels.createGroupChannel([bob.id, carol.id]), 0);
            assert.equal(again.data.id, gm.id);
            assert.equal(again.data.total_msg_count, 1);

            await carol.run('markChannelAsRead', channels.markChannelAsRead(gm.id), 1);
            const read = await carol.run('fetchChannelsAndMembers', channels.fetchChannelsAndMembers(team.id), 0);
            assert.equal(read.data.channelMembers.find((m) => m.channel_id === gm.id).mention_count, 0);
        });
    });
}
